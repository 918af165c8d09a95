"""Consult's background jobs: plain functions of a session, scheduled by worker.py and run by
hand with `flask expire-prescriptions`."""

from sqlalchemy.orm import Session

from consult import prescriptions


def expire_prescriptions(*, session: Session) -> int:
    """Move prescriptions past their validity to expired; returns how many."""
    return prescriptions.expire_due(session=session)


# name -> (job, seconds between runs)
JOBS = {"expire-prescriptions": (expire_prescriptions, 300.0)}
