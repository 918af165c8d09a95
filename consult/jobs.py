"""Consult's background jobs: each takes the app and runs in its own unit of work, for the worker and the CLI alike."""

from consult import prescriptions
from core.db import unit_of_work


def expire_prescriptions(app) -> int:
    """Move prescriptions past their validity to expired; returns how many."""
    with app.app_context(), unit_of_work(app) as session:
        return prescriptions.expire_due(session=session)


JOBS = {"expire-prescriptions": expire_prescriptions}
