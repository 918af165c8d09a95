"""Migration 0009 encrypts the rows already stored, and its downgrade gives them back as they were."""

import os
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, make_url, select, text

from consult.models import Consultation, ConsultationMessage, Patient
from core.app import create_app
from core.config import database_url as normalise_url
from core.db import UTCDateTime, utcnow
from core.identity import accounts
from core.identity.models import User
from shop.models import Order
from tests.conftest import TEST_CONFIG

NOW = utcnow()


@pytest.fixture
def scratch_app(tmp_path):
    """An app on a database of its own, so the test can stop at revision 0008."""
    raw = os.environ.get("DATABASE_URL", "")
    admin = name = None
    if raw.startswith("postgres"):
        server = make_url(normalise_url(raw))
        name = f"rxloop_mig_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    yield app
    app.extensions["rxloop.db"].engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _table(name, *columns):
    return sa.table(name, *(sa.column(c, t) for c, t in columns))


def insert_plaintext_rows(connection) -> None:
    users = _table("users", ("id", sa.String), ("email", sa.String), ("password_hash", sa.String),
                   ("role", sa.String), ("full_name", sa.String), ("is_active", sa.Boolean),
                   ("failed_logins", sa.Integer), ("totp_secret", sa.String), ("totp_confirmed", sa.Boolean),
                   ("created_at", UTCDateTime))
    connection.execute(users.insert(), [
        {"id": "usr-1", "email": "mary.major@rxloop.test", "password_hash": "x", "role": "patient",
         "full_name": "Mary Major", "is_active": True, "failed_logins": 0, "totp_secret": "JBSWY3DPEHPK3PXP",
         "totp_confirmed": False, "created_at": NOW},
        {"id": "usr-2", "email": "dr.li@rxloop.test", "password_hash": "x", "role": "doctor",
         "full_name": "Dr Li Wei", "is_active": True, "failed_logins": 0, "totp_secret": None,
         "totp_confirmed": False, "created_at": NOW}])
    patients = _table("patients", ("id", sa.String), ("user_id", sa.String), ("birth_date", sa.Date),
                      ("sex", sa.String), ("phone", sa.String), ("allergies", sa.JSON), ("conditions", sa.JSON),
                      ("current_medications", sa.JSON), ("genotypes", sa.JSON), ("created_at", UTCDateTime),
                      ("updated_at", UTCDateTime))
    connection.execute(patients.insert(), [{
        "id": "pat-1", "user_id": "usr-1", "birth_date": date(1992, 9, 3), "sex": "female",
        "phone": "+86 138 0000 0000", "allergies": ["penicillin"], "conditions": ["asthma"],
        "current_medications": [], "genotypes": None, "created_at": NOW, "updated_at": NOW}])
    consultations = _table("consultations", ("id", sa.String), ("patient_id", sa.String), ("status", sa.String),
                           ("policy", sa.String), ("chief_complaint", sa.Text), ("symptoms", sa.JSON),
                           ("is_follow_up", sa.Boolean), ("requested_product_ids", sa.JSON),
                           ("triage_reasons", sa.JSON), ("guardian", sa.JSON), ("created_at", UTCDateTime))
    connection.execute(consultations.insert(), [{
        "id": "cns-1", "patient_id": "pat-1", "status": "waiting", "policy": "cn",
        "chief_complaint": "wheezing at night", "symptoms": ["cough"], "is_follow_up": True,
        "requested_product_ids": [], "triage_reasons": [], "guardian": None, "created_at": NOW}])
    messages = _table("consultation_messages", ("id", sa.String), ("consultation_id", sa.String),
                      ("author_id", sa.String), ("body", sa.Text), ("created_at", UTCDateTime))
    connection.execute(messages.insert(), [{"id": "msg-1", "consultation_id": "cns-1", "author_id": "usr-1",
                                            "body": "worse after exercise", "created_at": NOW}])
    orders = _table("orders", ("id", sa.String), ("user_id", sa.String), ("patient_id", sa.String),
                    ("status", sa.String), ("idempotency_key", sa.String), ("request_hash", sa.String),
                    ("total_amount", sa.Integer), ("currency", sa.String), ("shipping_address", sa.JSON),
                    ("expires_at", UTCDateTime), ("payment_status", sa.String), ("amount_captured", sa.Integer),
                    ("amount_refunded", sa.Integer), ("flagged", sa.Boolean), ("created_at", UTCDateTime))
    connection.execute(orders.insert(), [{
        "id": "ord-1", "user_id": "usr-1", "patient_id": "pat-1", "status": "pending_payment",
        "idempotency_key": "k", "request_hash": "h" * 64, "total_amount": 0, "currency": "cny",
        "shipping_address": {"line1": "1 Chaoyang Road", "city": "Beijing"},
        "expires_at": NOW + timedelta(minutes=30), "payment_status": "requires_payment_method",
        "amount_captured": 0, "amount_refunded": 0, "flagged": False, "created_at": NOW}])


PLAINTEXT = ["mary.major@rxloop.test", "Mary Major", "JBSWY3DPEHPK3PXP", "1992-09-03", "+86 138", "penicillin",
             "asthma", "wheezing", "cough", "worse after exercise", "Chaoyang"]
RAW_COLUMNS = {"users": ["email", "full_name", "totp_secret"],
               "patients": ["birth_date", "phone", "allergies", "conditions", "current_medications", "genotypes"],
               "consultations": ["chief_complaint", "symptoms", "guardian"],
               "consultation_messages": ["body"], "orders": ["shipping_address"]}


def raw_values(connection) -> list:
    return [value for table, columns in RAW_COLUMNS.items() for column in columns
            for value in connection.execute(text(f"SELECT {column} FROM {table}")).scalars()]


def test_the_migration_encrypts_existing_rows_and_the_downgrade_restores_them(scratch_app):
    app = scratch_app
    engine = app.extensions["rxloop.db"].engine
    with app.app_context():
        upgrade(revision="0008")
        with engine.begin() as connection:
            insert_plaintext_rows(connection)

        upgrade(revision="0009")

        with engine.connect() as connection:
            stored = raw_values(connection)
        assert [v for v in stored if v is not None and not str(v).startswith("v1$test-2$")] == []
        assert [word for word in PLAINTEXT if any(word in str(v) for v in stored)] == []
        assert stored.count(None) == 3  # no doctor TOTP secret, genotypes or guardian: still SQL NULL

        upgrade()  # to head, where the models read the rows (later revisions add columns of their own)
        with app.extensions["rxloop.db"].sessionmaker() as session:
            assert accounts.find_by_email(session=session, email="Mary.Major@rxloop.test").full_name == "Mary Major"
            patient = session.get(Patient, "pat-1")
            assert (patient.birth_date, patient.phone, patient.allergies, patient.genotypes) == \
                (date(1992, 9, 3), "+86 138 0000 0000", ["penicillin"], None)
            assert session.get(Consultation, "cns-1").symptoms == ["cough"]
            assert session.get(ConsultationMessage, "msg-1").body == "worse after exercise"
            assert session.get(Order, "ord-1").shipping_address == {"line1": "1 Chaoyang Road", "city": "Beijing"}
            assert session.get(User, "usr-1").totp_secret == "JBSWY3DPEHPK3PXP"

        downgrade(revision="0008")

        with engine.connect() as connection:
            assert connection.execute(select(text("email, full_name, totp_secret")).select_from(text("users"))
                                      .where(text("id = 'usr-1'"))).one() == \
                ("mary.major@rxloop.test", "Mary Major", "JBSWY3DPEHPK3PXP")
            assert str(connection.execute(text("SELECT birth_date FROM patients")).scalar_one()) == "1992-09-03"
            assert connection.execute(text("SELECT body FROM consultation_messages")).scalar_one() == \
                "worse after exercise"

        upgrade()  # and forward again, to head
