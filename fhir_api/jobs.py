"""FHIR's scheduled job: the worker runs pending Bulk Data exports (when a queue is configured)."""

from sqlalchemy.orm import Session

from fhir_api import export


def run_exports(*, session: Session) -> int:
    return export.run_pending(session=session)


JOBS = {"fhir-export": (run_exports, 10.0)}
