"""`flask rotate-keys` re-encrypts every stored value under the active key, in batches that
survive an interruption, and loses no row."""

import json

import pytest
from sqlalchemy import func, select, text

from consult.models import Consultation, ConsultationMessage, Patient
from core.encryption import rotation
from core.encryption.keys import KeyRing, UnknownDataKey
from core.identity import accounts
from shop.models import Order
from tests.support.phi import canary_rows

ROWS = 3  # canary row sets written under the old key
VALUES_PER_SET = 33 + 2  # every PHI column once, and the doctor's email and name
ROWS_PER_SET = 10  # two users, a patient, consultation, message, prescription, review, order, suggestion, export file


@pytest.fixture
def rings(app):
    """(old-first ring, the test ring): the test ring reads both keys and writes with test-2."""
    current = app.extensions["rxloop.keys"]
    yield KeyRing({"test-1": current.keys["test-1"], "test-2": current.keys["test-2"]}), current
    app.extensions["rxloop.keys"] = current


@pytest.fixture
def written_under_the_old_key(app, session, rings):
    old_first, current = rings
    app.extensions["rxloop.keys"] = old_first
    with app.app_context():
        sets = [canary_rows(session, tag=f"-{n}") for n in range(ROWS)]
        session.commit()
    app.extensions["rxloop.keys"] = current
    return sets


def snapshot(session) -> dict:
    """Every encrypted value, decrypted, by table and id: what a rotation must keep."""
    seen = {}
    for name, columns in rotation.encrypted_columns().items():
        rows = session.execute(text(f"SELECT id, {', '.join(columns)} FROM {name} ORDER BY id")).all()
        seen[name] = {row[0]: row[1:] for row in rows}
    return seen


def decrypted(ring, snap) -> dict:
    return {name: {id_: tuple(None if v is None else ring.decrypt(v) for v in values)
                   for id_, values in rows.items()}
            for name, rows in snap.items()}


def test_rotation_moves_every_value_to_the_active_key_and_loses_no_row(app, session, rings,
                                                                        written_under_the_old_key):
    _, ring = rings
    with app.app_context():
        before = count = rotation.count_by_key(session=session, ring=ring)
        assert count["test-1"] == VALUES_PER_SET * ROWS
        plain_before = decrypted(ring, snapshot(session))

        rewritten = rotation.rotate(session=session, ring=ring, batch_size=2)

        after = rotation.count_by_key(session=session, ring=ring)
        assert after == {"test-2": before["test-2"] + before["test-1"], "test-1": 0, rotation.UNKNOWN: 0}
        assert rewritten == ROWS_PER_SET * ROWS
        assert decrypted(ring, snapshot(session)) == plain_before


def test_an_interrupted_rotation_resumes_where_it_stopped(app, session, rings, written_under_the_old_key):
    _, ring = rings
    with app.app_context():
        plain_before = decrypted(ring, snapshot(session))
        assert rotation.rotate_batch(session=session, ring=ring, name="patients", batch_size=2) == 2
        partway = rotation.count_by_key(session=session, ring=ring)
        assert 0 < partway["test-1"]

        rotation.rotate(session=session, ring=ring, batch_size=2)  # run again, as after a crash

        assert rotation.count_by_key(session=session, ring=ring)["test-1"] == 0
        assert decrypted(ring, snapshot(session)) == plain_before
        assert rotation.rotate(session=session, ring=ring, batch_size=2) == 0  # nothing left: a no-op


def test_rotated_rows_still_read_through_the_models_and_log_in_by_email(app, session, rings,
                                                                      written_under_the_old_key):
    _, ring = rings
    user, _doctor, patient, consultation, _rx, order = written_under_the_old_key[0]
    with app.app_context():
        rotation.rotate(session=session, ring=ring, batch_size=5)
        session.expire_all()
        assert session.get(Patient, patient.id).allergies == ["CANARY-7f3a-0"]
        assert session.get(Consultation, consultation.id).guardian == {"name": "CANARY-7f3a-0"}
        assert session.get(Order, order.id).shipping_address["line1"] == "CANARY-7f3a-0"
        assert session.scalar(select(func.count()).select_from(ConsultationMessage)) >= ROWS
        # the lookup digest moved with the email: found under the active key alone
        assert session.scalar(text("SELECT email_lookup FROM users WHERE id = :id"), {"id": user.id}) == \
            ring.lookup_digest(user.email)
        assert accounts.find_by_email(session=session, email=user.email).id == user.id


def test_rotation_stops_loudly_on_a_value_under_a_key_not_in_the_ring(app, session, rings, written_under_the_old_key):
    _, ring = rings
    without_old = KeyRing({"test-2": ring.keys["test-2"]})
    with app.app_context(), pytest.raises(UnknownDataKey):
        rotation.rotate(session=session, ring=without_old, batch_size=10)


def test_the_rotate_keys_command_reports_progress_by_key_id(app, session, rings, written_under_the_old_key):
    _, ring = rings
    runner = app.test_cli_runner()

    status = runner.invoke(args=["rotate-keys", "--status"])
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output.splitlines()[0])
    assert counts["active"] == "test-2"
    assert counts["values_by_key"]["test-1"] == VALUES_PER_SET * ROWS

    result = runner.invoke(args=["rotate-keys", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    final = json.loads(result.output.splitlines()[-1])
    assert final["values_by_key"]["test-1"] == 0
    assert final["values_by_key"]["test-2"] == counts["values_by_key"]["test-2"] + counts["values_by_key"]["test-1"]
