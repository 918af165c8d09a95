"""FHIR Bulk Data system export ($export): an administrator asks, a job writes one NDJSON file
per resource type into the database, the status URL answers 202 until it is done and then
the manifest; the files are served from the database to administrators.

The job is a plain function of a session (`run`): the web process runs it after the response
when there is no queue (no REDIS_URL), the worker's `fhir-export` job picks up pending ones
otherwise, and tests call it directly. An export reads every patient's record, so it is
audited as a read of each patient's record by the administrator who asked for it.
"""

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant import fhir as assistant_fhir
from consult.models import Consultation, Drug, Patient, Prescription, PrescriptionUse
from core import audit
from core.db import unit_of_work, utcnow
from core.errors import NotFound
from core.i18n import _
from core.identity.models import User
from fhir_api.clinical import encounter_of, held, items_of, medication_request_of, patient_of, provenance_of
from fhir_api.directory import PRACTITIONER_ROLES, medication_of, pharmacy, practitioner_of
from fhir_api.dispense import lots_by_line, medication_dispense_of
from fhir_api.events import FhirEvent
from fhir_api.models import ExportFile, ExportJob
from fhir_api.search import BadSearch
from shop.models import Order, OrderLine

log = logging.getLogger("rxloop.fhir")
TYPES = ("Patient", "Practitioner", "Organization", "Medication", "Encounter", "MedicationRequest",
         "MedicationDispense", "Provenance")
PATIENT_DATA = {"Patient", "Encounter", "MedicationRequest", "MedicationDispense", "Provenance"}
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = (NDJSON, "application/ndjson", "ndjson")


def request(*, session: Session, admin: User, types: str | None, output_format: str | None,
            request_url: str) -> ExportJob:
    """A pending export of `types` (comma-separated; all by default)."""
    wanted = [t for t in (types or "").split(",") if t] or list(TYPES)
    unknown = sorted(set(wanted) - set(TYPES))
    if unknown:
        raise BadSearch(_("This server cannot export %(types)s.", types=", ".join(unknown)),
                        errors={"_type": [", ".join(unknown)]})
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise BadSearch(_("Exports are NDJSON only (application/fhir+ndjson)."),
                        errors={"_outputFormat": [output_format]})
    job = ExportJob(requested_by=admin.id, status="pending", types=sorted(set(wanted), key=TYPES.index),
                    request_url=request_url)
    session.add(job)
    session.flush()
    audit.record(session=session, actor_id=admin.id, action=FhirEvent.EXPORT_REQUESTED, subject_type="fhir_export",
                 subject_id=job.id, detail={"types": job.types})
    return job


def _patients(session):
    rows = list(session.scalars(select(Patient).order_by(Patient.id)))
    _users = held(session, User, [p.user_id for p in rows])
    return [patient_of(session=session, patient=p) for p in rows]


def _practitioners(session):
    users = session.scalars(select(User).where(User.role.in_(PRACTITIONER_ROLES)).order_by(User.id))
    return [practitioner_of(u) for u in users]


def _medications(session):
    return [medication_of(d) for d in session.scalars(select(Drug).order_by(Drug.id))]


def _encounters(session):
    return [encounter_of(consultation=c) for c in session.scalars(select(Consultation).order_by(Consultation.id))]


def _signed(session):
    """Prescriptions a doctor has signed: a draft is no prescription yet."""
    return list(session.scalars(select(Prescription).where(Prescription.signed_at.is_not(None))
                                .order_by(Prescription.id)))


def _medication_requests(session):
    written = {p.id: p for p in _signed(session)}
    items = items_of(session=session, prescription_ids=list(written))
    _rows = [*held(session, Drug, [i.drug_id for i in items]), *held(session, User, [p.doctor_id for p in written.values()])]
    return [medication_request_of(session=session, item=i, prescription=written[i.prescription_id]) for i in items]


def _medication_dispenses(session):
    orders = {o.id: o for o in session.scalars(select(Order).order_by(Order.id))}
    lots = lots_by_line(session=session, orders=list(orders.values()))
    lines = list(session.scalars(select(OrderLine).order_by(OrderLine.order_id, OrderLine.position)))
    _rows = [*held(session, Drug, [line.drug_id for line in lines]),
             *held(session, PrescriptionUse, [line.prescription_use_id for line in lines])]
    return [medication_dispense_of(session=session, line=line, order=orders[line.order_id], lots=lots.get(line.id, []))
            for line in lines]


def _provenance(session):
    written = _signed(session)
    items = items_of(session=session, prescription_ids=[p.id for p in written])
    suggestions = assistant_fhir.contributions(session=session, prescription_ids=[p.id for p in written])
    return [provenance_of(prescription=p, items=[i for i in items if i.prescription_id == p.id],
                          suggestions=suggestions.get(p.id, ())) for p in written]


BUILDERS = {"Patient": _patients, "Practitioner": _practitioners, "Organization": lambda session: [pharmacy()],
            "Medication": _medications, "Encounter": _encounters, "MedicationRequest": _medication_requests,
            "MedicationDispense": _medication_dispenses, "Provenance": _provenance}


def run(*, session: Session, job_id: str) -> int:
    """Write the job's files and mark it completed; returns the number of resources exported."""
    job = session.get(ExportJob, job_id)
    if job is None or job.status != "pending":
        return 0
    admin = session.get(User, job.requested_by)
    exported = 0
    for resource_type in job.types:
        resources = BUILDERS[resource_type](session)
        if resources:
            session.add(ExportFile(job_id=job.id, resource_type=resource_type, count=len(resources),
                                   content="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in resources)))
        exported += len(resources)
    if set(job.types) & PATIENT_DATA:
        patient_ids = session.scalars(select(Patient.id).order_by(Patient.id))
        audit.record_list_read(session=session, reader=admin, action=FhirEvent.EXPORT_READ, subject_type="fhir_export",
                               subjects=[(job.id, patient_id) for patient_id in patient_ids])
    job.status, job.completed_at = "completed", utcnow()
    audit.record(session=session, actor_id=admin.id, action=FhirEvent.EXPORT_COMPLETED, subject_type="fhir_export",
                 subject_id=job.id, detail={"resources": exported})
    return exported


def run_pending(*, session: Session) -> int:
    """The worker's job: run every pending export (each is idempotent: a finished one is skipped)."""
    return sum(run(session=session, job_id=job_id) for job_id in
               list(session.scalars(select(ExportJob.id).where(ExportJob.status == "pending")
                                    .order_by(ExportJob.created_at))))


def run_in_own_unit(app, job_id: str) -> None:
    """After the response (no queue): run the export in its own unit of work; a failure is recorded."""
    try:
        with app.app_context(), unit_of_work(app) as session:
            run(session=session, job_id=job_id)
    except Exception:  # the request is answered already: the status URL reports the failure
        log.exception("fhir export failed", extra={"job_id": job_id})
        with app.app_context(), unit_of_work(app) as session:
            job = session.get(ExportJob, job_id)
            if job is not None and job.status == "pending":
                job.status, job.error = "failed", "The export failed; ask for a new one."


def get(*, session: Session, job_id: str) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("No such export."))
    return job


def files_of(*, session: Session, job: ExportJob) -> list[ExportFile]:
    return list(session.scalars(select(ExportFile).where(ExportFile.job_id == job.id)
                                .order_by(ExportFile.resource_type)))


def manifest(*, job: ExportJob, files: list[ExportFile], base: str) -> dict:
    return {"transactionTime": job.completed_at.isoformat().replace("+00:00", "Z"), "request": job.request_url,
            "requiresAccessToken": True,
            "output": [{"type": f.resource_type, "url": f"{base}/$export-file/{f.id}", "count": f.count}
                       for f in files],
            "error": []}


def file(*, session: Session, file_id: str) -> ExportFile:
    found = session.get(ExportFile, file_id)
    if found is None:
        raise NotFound(_("No such export file."))
    return found
