"""Demo accounts for development: an admin, two doctors, two pharmacists, two patients."""

from datetime import date

from sqlalchemy.orm import Session

from consult import patients
from core.identity import accounts

PASSWORD = "rxloop-demo-2026"  # development only; printed by `make run`, listed in the README

ACCOUNTS = [
    {"role": "admin", "email": "admin@rxloop.test", "full_name": "Ada Admin"},
    {"role": "doctor", "email": "dr.li@rxloop.test", "full_name": "Dr Li Wei",
     "license_number": "DOC-110101", "specialty": "general practice"},
    {"role": "doctor", "email": "dr.smith@rxloop.test", "full_name": "Dr Jane Smith",
     "license_number": "DOC-220202", "specialty": "internal medicine"},
    {"role": "pharmacist", "email": "ph.wang@rxloop.test", "full_name": "Wang Fang",
     "license_number": "PHA-330303"},
    {"role": "pharmacist", "email": "ph.jones@rxloop.test", "full_name": "Sam Jones",
     "license_number": "PHA-440404"},
    {"role": "patient", "email": "zhang.san@rxloop.test", "full_name": "Zhang San",
     "birth_date": date(1980, 5, 17), "sex": "male"},
    {"role": "patient", "email": "mary.major@rxloop.test", "full_name": "Mary Major",
     "birth_date": date(1992, 9, 3), "sex": "female"},
]


def seed(*, session: Session) -> int:
    """Create whichever demo accounts are missing; returns how many were created."""
    created = 0
    for account in ACCOUNTS:
        if accounts.find_by_email(session=session, email=account["email"]):
            continue
        values = dict(account)
        role = values.pop("role")
        if role == "patient":
            patients.register(session=session, password=PASSWORD, phone="+86 138 0000 0000", **values)
        else:
            accounts.create(session=session, password=PASSWORD, role=role, **values)
        created += 1
    return created
