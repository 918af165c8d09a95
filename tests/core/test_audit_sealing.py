"""Sealing and checkpoints run without anyone asking: in the web process after a request by
default, as worker jobs in production, and by hand from the command line."""

import json

import pytest
from sqlalchemy import select

from core import audit, jobs, signing
from core.audit import AuditCheckpoint, AuditEntry, AuditSeal
from tests.support.events import TestEvent
from worker import JOBS


def test_the_worker_schedules_sealing_every_second_and_checkpoints_every_five_minutes():
    assert JOBS["seal-audit"] == (jobs.seal_audit, 1.0)
    assert JOBS["checkpoint-audit"] == (jobs.checkpoint_audit, 300.0)


def test_the_web_process_seals_and_checkpoints_when_each_is_due(app, login_as, session, time_machine):
    time_machine.move_to("2026-12-02 12:00:00", tick=False)
    app.config.update(AUDIT_SEAL_SECONDS=1, AUDIT_CHECKPOINT_SECONDS=300)
    sealer = jobs.InProcessSealer(app)
    login_as("admin")  # its account and login are audited
    head = audit.sealed_head(session=session)[0]
    sealer.run_due()
    assert audit.sealed_head(session=session)[0] > head
    assert session.scalar(select(AuditCheckpoint.id)) is None  # not due for five minutes
    audit.record(session=session, actor_id=None, action=TestEvent.WRITTEN, subject_type="thing", subject_id="x")
    session.commit()
    sealer.run_due()  # within the second: not due again
    latest = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    assert session.get(AuditSeal, latest) is None
    time_machine.shift(301)
    sealer.run_due()
    assert session.get(AuditSeal, latest) is not None
    assert session.scalar(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.id.desc()).limit(1)) == latest


def test_the_audit_checkpoint_command_prints_a_signed_checkpoint(app, db_connection):
    result = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"seq", "hash", "at", "key_id", "signature"}
    key = signing.for_app(app)
    assert printed["key_id"] == signing.key_id(key.public_key())


def test_the_audit_verify_command_fails_on_a_checkpoint_the_chain_does_not_reach(app, db_connection, tmp_path):
    anchor = tmp_path / "checkpoint.json"
    anchor.write_text(json.dumps({"seq": 10**9, "hash": "f" * 64, "at": "2026-12-02T12:00:00+00:00",
                                  "key_id": "0" * 16, "signature": "AA=="}) + "\n")
    result = app.test_cli_runner().invoke(args=["audit-verify", "--checkpoint", str(anchor)])
    assert result.exit_code == 1
    assert json.loads(result.output)["reason"] == "a checkpoint's signature is not valid"


def test_development_creates_a_private_key_file_once_and_reuses_it(tmp_path):
    path = tmp_path / "instance" / "audit-signing-key.pem"
    first = signing.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = signing.load_or_create(path)
    assert signing.key_id(first.public_key()) == signing.key_id(again.public_key())


def test_a_signing_key_that_is_not_ed25519_is_refused():
    with pytest.raises(signing.SigningKeyError):
        signing.parse_private_key("bm90IGEga2V5")
