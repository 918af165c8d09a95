"""Patient data is encrypted at rest: raw rows hold no plaintext, and a wrong or missing key
fails loudly instead of returning garbage."""

import base64
import stat

import pytest
from flask import current_app
from sqlalchemy import select, text

from consult.models import Patient
from core.config import ConfigError, from_environment, validate
from core.encryption import keys
from core.encryption.keys import KeyRing, NotEncrypted, UndecryptableValue, UnknownDataKey
from core.encryption.rotation import encrypted_columns
from core.identity import accounts
from core.identity.models import User
from tests.conftest import TEST_CONFIG
from tests.support.phi import CANARY, CANARY_DATE, canary_rows

# Every column holding names, contact details, birth dates, addresses or clinical facts.
PHI_COLUMNS = {
    "users": ["email", "full_name", "totp_secret"],
    "patients": ["family_name", "given_name", "birth_date", "phone", "allergies", "conditions",
                 "current_medications", "pregnancy_due_date", "ancestry", "genotypes"],
    "consultations": ["chief_complaint", "symptoms", "prior_diagnosis", "prior_diagnosis_evidence",
                      "guardian", "diagnosis", "notes"],
    "consultation_messages": ["body"],
    "prescriptions": ["diagnosis", "override_reason", "review_note"],
    "prescription_reviews": ["note"],
    "orders": ["shipping_address"],
    "assistant_suggestions": ["inputs", "output", "kept", "dropped", "outcome_diff", "outcome_note"],
    "fhir_export_files": ["content"],
}


def ring_of(**keys_by_id: bytes) -> KeyRing:
    return KeyRing(dict(keys_by_id))


@pytest.fixture
def key_ring(app):
    """Swap the app's key ring for one test: `key_ring(ring)`; the test ring comes back after."""
    saved = app.extensions["rxloop.keys"]

    def use(ring: KeyRing) -> None:
        app.extensions["rxloop.keys"] = ring

    yield use
    app.extensions["rxloop.keys"] = saved


def test_every_phi_column_is_encrypted():
    assert {table: sorted(columns) for table, columns in encrypted_columns().items()} == \
        {table: sorted(columns) for table, columns in PHI_COLUMNS.items()}
    assert sum(map(len, PHI_COLUMNS.values())) == 33


def test_the_raw_row_holds_no_plaintext_in_any_phi_column(app, session):
    with app.app_context():
        canary_rows(session)
        for table, columns in PHI_COLUMNS.items():
            for column in columns:
                values = session.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).scalars().all()
                assert values, f"{table}.{column} has no canary row"
                for value in values:
                    assert CANARY not in value and CANARY.lower() not in value, f"{table}.{column}"
                    assert CANARY_DATE.isoformat() not in value, f"{table}.{column}"
                    assert value.startswith("v1$test-2$"), f"{table}.{column}"


def test_the_email_lookup_column_holds_a_keyed_digest_not_the_email(app, session):
    with app.app_context():
        user, *_ = canary_rows(session)
        raw = session.execute(text("SELECT email_lookup FROM users WHERE id = :id"), {"id": user.id}).scalar_one()
        assert CANARY.lower() not in raw
        assert raw == current_app.extensions["rxloop.keys"].lookup_digest(user.email)


def test_encrypted_columns_read_back_as_written(app, session):
    with app.app_context():
        _user, _doctor, patient, consultation, _rx, order = canary_rows(session)
        session.expire_all()
        assert session.get(Patient, patient.id).birth_date == CANARY_DATE
        assert session.get(Patient, patient.id).genotypes == [{"allele": CANARY, "result": "positive"}]
        assert session.get(type(consultation), consultation.id).chief_complaint == f"{CANARY} complaint"
        assert session.get(type(order), order.id).shipping_address == {"line1": CANARY, "recipient": CANARY}


def test_an_account_is_found_by_email_under_any_key_of_the_ring(app, session, key_ring):
    ring = app.extensions["rxloop.keys"]
    old_first = KeyRing({"test-1": ring.keys["test-1"], "test-2": ring.keys["test-2"]})
    with app.app_context():
        key_ring(old_first)
        user, *_ = canary_rows(session)
        key_ring(ring)
        assert accounts.find_by_email(session=session, email=f"  {CANARY.upper()}@Example.test ") == user
        assert accounts.find_by_email(session=session, email="someone-else@example.test") is None


def test_a_wrong_key_with_the_same_id_is_refused_not_read_as_garbage(app, session, key_ring):
    with app.app_context():
        patient = canary_rows(session)[2]
        session.expire_all()
        key_ring(ring_of(**{"test-2": b"\x01" * 32, "test-1": b"\x02" * 32}))
        with pytest.raises(UndecryptableValue):
            session.scalar(select(Patient.phone).where(Patient.id == patient.id))


def test_a_value_under_a_key_missing_from_the_ring_is_refused(app, session, key_ring):
    with app.app_context():
        patient = canary_rows(session)[2]
        session.expire_all()
        key_ring(ring_of(**{"test-3": b"\x03" * 32}))
        with pytest.raises(UnknownDataKey):
            session.scalar(select(Patient.allergies).where(Patient.id == patient.id))


def test_plaintext_left_in_an_encrypted_column_is_refused(app, session):
    with app.app_context():
        patient = canary_rows(session)[2]
        session.execute(text("UPDATE patients SET phone = '+86 138 0000 0000' WHERE id = :id"), {"id": patient.id})
        session.expire_all()
        with pytest.raises(NotEncrypted):
            session.scalar(select(Patient.phone).where(Patient.id == patient.id))


def test_an_altered_ciphertext_is_refused():
    ring = ring_of(k1=b"\x07" * 32)
    stored = ring.encrypt("penicillin")
    key_id, payload = keys.split(stored)
    tampered = f"v1${key_id}${payload[:-4]}{'AAAA' if payload[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(UndecryptableValue):
        ring.decrypt(tampered)


def test_a_value_moved_to_another_key_id_is_refused():
    """The key id is authenticated with the value: relabelling it cannot pass."""
    ring = ring_of(k2=b"\x07" * 32, k1=b"\x07" * 32)
    _key_id, payload = keys.split(ring.encrypt("penicillin"))
    with pytest.raises(UndecryptableValue):
        ring.decrypt(f"v1$k1${payload}")


def test_each_encryption_of_a_value_differs():
    ring = ring_of(k1=b"\x07" * 32)
    assert ring.encrypt("Mary Major") != ring.encrypt("Mary Major")


def test_without_an_app_context_encrypted_columns_refuse_to_work(app):
    from core.encryption.keys import DataKeyError, current_ring

    with pytest.raises(DataKeyError):
        current_ring()


def test_production_refuses_to_start_without_data_keys():
    config = from_environment({"RXLOOP_ENV": "production", "SECRET_KEY": "s" * 40,
                               "DATABASE_URL": "postgresql://db/rxloop",
                               "AUDIT_SIGNING_KEY": TEST_CONFIG["AUDIT_SIGNING_KEY"]})
    with pytest.raises(ConfigError, match="RXLOOP_DATA_KEYS must be set in production"):
        validate(config)


@pytest.mark.parametrize("spec", ["k1", "k1:not-base64!", "k1:" + base64.b64encode(b"short").decode(),
                                  "bad id:" + base64.b64encode(bytes(32)).decode(),
                                  "k1:" + base64.b64encode(bytes(32)).decode() + ",k1:" + base64.b64encode(bytes(32)).decode()])
def test_a_malformed_key_ring_refuses_start_up(spec):
    with pytest.raises(ConfigError, match="RXLOOP_DATA_KEYS"):
        validate(from_environment({"RXLOOP_DATA_KEYS": spec}))


def test_the_first_key_of_the_ring_is_the_active_one():
    ring = keys.parse(TEST_CONFIG["RXLOOP_DATA_KEYS"])
    assert ring.active_id == "test-2"
    assert list(ring.keys) == ["test-2", "test-1"]


def test_development_without_keys_generates_a_private_key_file_once(tmp_path):
    first = keys.development_ring(tmp_path)
    again = keys.development_ring(tmp_path)
    assert first == again
    assert stat.S_IMODE((tmp_path / keys.DEV_KEY_FILE).stat().st_mode) == 0o600
    assert len(first.keys[first.active_id]) == 32


def test_the_development_key_file_lives_in_the_gitignored_instance_folder():
    from core.config import PROJECT_ROOT

    assert "instance/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_a_user_row_written_under_the_test_ring_is_readable_through_the_orm(app, session):
    with app.app_context():
        user = canary_rows(session)[0]
        session.expire_all()
        assert session.get(User, user.id).totp_secret == f"{CANARY}TOTPSECRET"


def test_an_email_registered_under_the_older_key_cannot_be_registered_again(app, session, key_ring):
    from core.errors import Conflict

    ring = app.extensions["rxloop.keys"]
    with app.app_context():
        key_ring(KeyRing({"test-1": ring.keys["test-1"], "test-2": ring.keys["test-2"]}))
        canary_rows(session)
        key_ring(ring)
        with pytest.raises(Conflict):
            accounts.create(session=session, email=f"{CANARY.lower()}@example.test", password="a-long-passphrase",
                            role="patient", full_name="Someone Else")


def test_a_key_ring_never_shows_its_keys_in_a_repr():
    assert "\\x07" not in repr(ring_of(k1=b"\x07" * 32)) and "k1" not in repr(ring_of(k1=b"\x07" * 32))
