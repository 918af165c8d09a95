"""Consult's jobs, run the way the worker and the CLI run them, each in its own unit of work."""

from datetime import timedelta

from worker import run_job
from core.db import utcnow
from tests.factories.consult import approved_prescription
from tests.factories.identity import make_user


def test_the_expiry_job_expires_prescriptions_past_their_validity_once(app, session, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    staff = [make_user(session, role=role)[0] for role in ("patient", "doctor", "pharmacist")]
    rx = approved_prescription(session, *staff)
    assert run_job(app, "expire-prescriptions") == 0
    time_machine.shift(timedelta(days=4))
    assert run_job(app, "expire-prescriptions") == 1
    session.refresh(rx)
    assert rx.status == "expired"
    assert run_job(app, "expire-prescriptions") == 0


def test_the_cli_command_runs_the_same_job(app, session, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    staff = [make_user(session, role=role)[0] for role in ("patient", "doctor", "pharmacist")]
    rx = approved_prescription(session, *staff)
    time_machine.shift(timedelta(days=4))
    result = app.test_cli_runner().invoke(args=["expire-prescriptions"])
    assert result.exit_code == 0, result.output
    session.refresh(rx)
    assert rx.status == "expired"
