"""Users of every role in one line."""

import itertools
from datetime import date

from consult import patients
from core.identity import accounts

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(session, *, role: str, email: str | None = None, password: str = PASSWORD, **fields):
    """Create and commit a user (a patient gets a profile); returns (user, bearer token)."""
    n = next(_counter)
    email = email or f"{role}{n}-{id(session) % 10000}@example.test"
    if role == "patient":
        user = patients.register(
            session=session, email=email, password=password,
            full_name=fields.pop("full_name", f"Patient {n}"),
            birth_date=fields.pop("birth_date", date(1985, 1, 1)),
            sex=fields.pop("sex", "female"), phone=fields.pop("phone", None),
        )
        if fields:
            patients.update_profile(session=session, user=user, changes=fields)
    else:
        defaults = {"doctor": {"license_number": f"DOC-{n}", "specialty": "general practice"},
                    "pharmacist": {"license_number": f"PHA-{n}"}}.get(role, {})
        user = accounts.create(session=session, email=email, password=password, role=role,
                               full_name=fields.pop("full_name", f"{role.title()} {n}"),
                               **{**defaults, **fields})
    token, _ = accounts.issue_token(session=session, user=user)
    session.commit()
    return user, token
