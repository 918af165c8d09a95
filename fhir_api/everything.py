"""Patient/{id}/$everything: a patient's record as one Bundle, each part under its own rule.

The caller must be allowed to read the patient's record (consult.patients.read_record: the
patient, or staff caring for them); then consultations, prescriptions and orders appear as far
as the caller may see each of them in the API, with every Practitioner, Medication and the
Organization they reference, so the Bundle is complete in itself.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant import fhir as assistant_fhir
from consult import consultations, patients, prescriptions
from consult.models import Consultation, Drug, Patient, Prescription, PrescriptionUse
from core import audit
from core.errors import Forbidden
from core.identity.models import User
from fhir_api.clinical import encounter_of, held, items_of, medication_request_of, patient_of, provenance_of
from fhir_api.directory import medication_of, pharmacy, practitioner_of
from fhir_api.dispense import lots_by_line, medication_dispense_of
from fhir_api.events import FhirEvent
from shop import order_queries
from shop.models import Order, OrderLine


def record_of(*, session: Session, patient_id: str, consultation_clause=None, prescription_clause=None,
              order_clause=None) -> list[dict]:
    """Every resource of the patient's record (within the clauses given), and what they reference."""
    patient = session.get(Patient, patient_id)
    resources = [patient_of(session=session, patient=patient)]
    visits = list(session.scalars(select(Consultation).where(Consultation.patient_id == patient_id, consultation_clause)
                                  .order_by(Consultation.created_at, Consultation.id)))
    resources += [encounter_of(consultation=c) for c in visits]
    written = list(session.scalars(select(Prescription).where(Prescription.patient_id == patient_id,
                                                              prescription_clause)
                                   .order_by(Prescription.created_at, Prescription.id)))
    items = items_of(session=session, prescription_ids=[p.id for p in written])
    _rows = [*held(session, Drug, [i.drug_id for i in items]), *held(session, User, [p.doctor_id for p in written])]
    by_id = {p.id: p for p in written}
    resources += [medication_request_of(session=session, item=i, prescription=by_id[i.prescription_id]) for i in items]
    suggestions = assistant_fhir.contributions(session=session, prescription_ids=[p.id for p in written])
    resources += [provenance_of(prescription=p, items=[i for i in items if i.prescription_id == p.id],
                                suggestions=suggestions.get(p.id, ())) for p in written if p.signed_at]
    orders = [] if order_clause is None else list(session.scalars(
        select(Order).where(Order.patient_id == patient_id, order_clause).order_by(Order.created_at, Order.id)))
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders]))
                                 .order_by(OrderLine.order_id, OrderLine.position))) if orders else []
    lots, by_order = lots_by_line(session=session, orders=orders), {o.id: o for o in orders}
    _lines_rows = [*held(session, Drug, [line.drug_id for line in lines]),
                   *held(session, PrescriptionUse, [line.prescription_use_id for line in lines])]
    resources += [medication_dispense_of(session=session, line=line, order=by_order[line.order_id],
                                         lots=lots.get(line.id, [])) for line in lines]
    people = ({c.doctor_id for c in visits} | {p.doctor_id for p in written} | {p.reviewed_by for p in written}
              | {o.dispensed_by for o in orders}) - {None}
    resources += [practitioner_of(u) for u in session.scalars(select(User).where(User.id.in_(people)).order_by(User.id))]
    drugs = {i.drug_id for i in items} | {line.drug_id for line in lines}
    resources += [medication_of(d) for d in session.scalars(select(Drug).where(Drug.id.in_(drugs)).order_by(Drug.id))]
    if lines:
        resources.append(pharmacy())
    return resources


def everything(*, session: Session, user: User, patient_id: str) -> list[dict]:
    patient = patients.read_record(session=session, user=user, patient_id=patient_id)
    try:
        order_clause = order_queries.visible_to(user=user)
    except Forbidden:  # a doctor sees no orders in the API: none here either
        order_clause = None
    resources = record_of(session=session, patient_id=patient.id,
                          consultation_clause=consultations.visible_to(session=session, user=user),
                          prescription_clause=prescriptions.visible_to(session=session, user=user),
                          order_clause=order_clause)
    audit.record_read(session=session, reader=user, action=FhirEvent.EVERYTHING_READ, subject_type="patient",
                      subject_id=patient.id, patient_id=patient.id)
    return resources
