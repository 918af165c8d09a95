"""FHIR searches of the records: each applies the API's own access rule for the records it
returns (consult's and shop's `visible_to`/`readable_by`), pages by key and audits a staff
member's read of each patient's records as the API's lists do."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult import consultations, patients, prescriptions
from consult.models import Consultation, Drug, Patient, Prescription, PrescriptionItem, PrescriptionUse
from core import audit
from core.identity.models import User
from core.pagination import paginate
from fhir_api.clinical import ENCOUNTER_STATUS, REQUEST_STATUS, encounter_of, held, medication_request_of, patient_of
from fhir_api.directory import PRACTITIONER_ROLES, medication_of, practitioner_of
from fhir_api.dispense import DISPENSE_STATUS, lots_by_line, medication_dispense_of
from fhir_api.events import FhirEvent
from fhir_api.search import Query
from shop import order_queries
from shop.models import Order, OrderLine

Found = tuple[list[dict], str | None]


def _statuses(mapping: dict[str, str], codes: list[str]) -> list[str]:
    """The rxloop statuses shown as any of the FHIR `codes`."""
    return [ours for ours, theirs in mapping.items() if theirs in codes]


def medication_requests(*, session: Session, user: User, query: Query) -> Found:
    """Newest first (by when the prescription was written), one MedicationRequest per item."""
    stmt = (select(PrescriptionItem, Prescription, Prescription.created_at, PrescriptionItem.id)
            .join(Prescription, Prescription.id == PrescriptionItem.prescription_id)
            .where(prescriptions.visible_to(session=session, user=user)))
    if (ids := query.any_of("patient")) is not None:
        stmt = stmt.where(Prescription.patient_id.in_(ids))
    if (codes := query.any_of("status")) is not None:
        stmt = stmt.where(Prescription.status.in_(_statuses(REQUEST_STATUS, codes)))
    authored = func.coalesce(Prescription.signed_at, Prescription.created_at)
    for moment in query.dates("authoredon"):
        stmt = stmt.where(moment.clause(authored))
    page = paginate(session, stmt, keys=(Prescription.created_at, PrescriptionItem.id), limit=query.count,
                    cursor=query.cursor, descending=True, scalars=False)
    audit.record_list_read(session=session, reader=user, action=FhirEvent.MEDICATION_REQUEST_SEARCH,
                           subject_type="prescription",
                           subjects=list(dict.fromkeys((row.Prescription.id, row.Prescription.patient_id)
                                                       for row in page.items)))
    _rows = [*held(session, Drug, [row.PrescriptionItem.drug_id for row in page.items]),
             *held(session, User, [row.Prescription.doctor_id for row in page.items])]
    return ([medication_request_of(session=session, item=row.PrescriptionItem, prescription=row.Prescription)
             for row in page.items], page.next_cursor)


def medication_dispenses(*, session: Session, user: User, query: Query) -> Found:
    """Newest order first, one MedicationDispense per order line (doctors are refused, as for orders)."""
    stmt = (select(OrderLine, Order, Order.created_at, OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id).where(order_queries.visible_to(user=user)))
    if (ids := query.any_of("patient")) is not None:
        stmt = stmt.where(Order.patient_id.in_(ids))
    if (codes := query.any_of("status")) is not None:
        stmt = stmt.where(Order.status.in_(_statuses(DISPENSE_STATUS, codes)))
    for moment in query.dates("whenhandedover"):
        stmt = stmt.where(moment.clause(Order.dispensed_at))
    page = paginate(session, stmt, keys=(Order.created_at, OrderLine.id), limit=query.count,
                    cursor=query.cursor, descending=True, scalars=False)
    audit.record_list_read(session=session, reader=user, action=FhirEvent.MEDICATION_DISPENSE_SEARCH,
                           subject_type="order",
                           subjects=list(dict.fromkeys((row.Order.id, row.Order.patient_id) for row in page.items)))
    lots = lots_by_line(session=session, orders=list({row.Order.id: row.Order for row in page.items}.values()))
    _rows = [*held(session, Drug, [row.OrderLine.drug_id for row in page.items]),
             *held(session, PrescriptionUse, [row.OrderLine.prescription_use_id for row in page.items])]
    return ([medication_dispense_of(session=session, line=row.OrderLine, order=row.Order,
                                    lots=lots.get(row.OrderLine.id, [])) for row in page.items], page.next_cursor)


def encounters(*, session: Session, user: User, query: Query) -> Found:
    """Consultations as the consultations API shows them (not to pharmacists), newest first."""
    stmt = select(Consultation).where(consultations.visible_to(session=session, user=user))
    if (ids := query.any_of("patient")) is not None:
        stmt = stmt.where(Consultation.patient_id.in_(ids))
    if (codes := query.any_of("status")) is not None:
        stmt = stmt.where(Consultation.status.in_(_statuses(ENCOUNTER_STATUS, codes)))
    for moment in query.dates("date"):
        stmt = stmt.where(moment.clause(Consultation.created_at))
    page = paginate(session, stmt, keys=(Consultation.created_at, Consultation.id), limit=query.count,
                    cursor=query.cursor, descending=True)
    audit.record_list_read(session=session, reader=user, action=FhirEvent.ENCOUNTER_SEARCH,
                           subject_type="consultation", subjects=[(c.id, c.patient_id) for c in page.items])
    return [encounter_of(consultation=c) for c in page.items], page.next_cursor


def patients_search(*, session: Session, user: User, query: Query) -> Found:
    """The patients whose record the caller may read (consult.patients.readable_by)."""
    stmt = select(Patient).where(patients.readable_by(session=session, user=user))
    for name in ("identifier", "_id"):
        if (ids := query.any_of(name)) is not None:
            stmt = stmt.where(Patient.id.in_(ids))
    page = paginate(session, stmt, keys=(Patient.created_at, Patient.id), limit=query.count, cursor=query.cursor)
    audit.record_list_read(session=session, reader=user, action=FhirEvent.PATIENT_SEARCH, subject_type="patient",
                           subjects=[(p.id, p.id) for p in page.items])
    _users = held(session, User, [p.user_id for p in page.items])
    return [patient_of(session=session, patient=p) for p in page.items], page.next_cursor


def practitioners(*, session: Session, user: User, query: Query) -> Found:
    stmt = select(User).where(User.role.in_(PRACTITIONER_ROLES))
    if (licences := query.any_of("identifier")) is not None:
        stmt = stmt.where(User.license_number.in_(licences))
    if (ids := query.any_of("_id")) is not None:
        stmt = stmt.where(User.id.in_(ids))
    page = paginate(session, stmt, keys=(User.created_at, User.id), limit=query.count, cursor=query.cursor)
    return [practitioner_of(u) for u in page.items], page.next_cursor


def medications(*, session: Session, user: User, query: Query) -> Found:
    stmt = select(Drug)
    if (codes := query.any_of("code")) is not None:
        stmt = stmt.where(Drug.atc_code.in_(codes))
    if (ids := query.any_of("_id")) is not None:
        stmt = stmt.where(Drug.id.in_(ids))
    page = paginate(session, stmt, keys=(Drug.id,), limit=query.count, cursor=query.cursor)
    return [medication_of(d) for d in page.items], page.next_cursor
