"""Consult's background jobs: plain functions of a session, scheduled by worker.py."""

from sqlalchemy.orm import Session

from consult import prescriptions


def expire_prescriptions(session: Session) -> int:
    return prescriptions.expire_due(session)


# name -> (job, seconds between runs)
JOBS = {"expire-prescriptions": (expire_prescriptions, 300.0)}
