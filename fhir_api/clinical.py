"""FHIR views of clinical records: Patient, MedicationRequest (one per prescription item),
Encounter (a consultation) and Provenance (who signed and who approved a prescription).

A prescription with several items becomes several MedicationRequests sharing a
`groupIdentifier` (the prescription id): FHIR's own model of one order per medication.
Each `*_of` function builds a resource from rows already read under the access rules; the
reads by id below check those rules (consult's own service functions) and audit.
"""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant import fhir as assistant_fhir
from consult import consultations, patients, prescriptions
from consult.events import ConsultEvent
from consult.models import Consultation, Drug, Patient, Prescription, PrescriptionItem
from core import audit
from core.errors import NotFound
from core.i18n import _
from core.identity.models import User
from fhir_api.events import FhirEvent
from fhir_api.terminology import (
    ACT_CODE, ICD10, PATIENT_ID, PRESCRIPTION_GROUP, PROVENANCE_ROLE, UCUM, UCUM_CODES, drug_concept, instant,
    number, units,
)

GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
# rxloop prescription status → FHIR R4 MedicationRequest.status (a required value set).
REQUEST_STATUS = {"draft": "draft", "pending_review": "on-hold", "approved": "active", "dispensed": "completed",
                  "expired": "stopped", "rejected": "cancelled", "cancelled": "cancelled"}
# rxloop consultation status → FHIR R4 Encounter.status; a referral offline ends the online encounter.
ENCOUNTER_STATUS = {"waiting": "planned", "in_progress": "in-progress", "completed": "finished",
                    "cancelled": "cancelled", "referred_offline": "finished"}


def held(session: Session, model, ids) -> list:
    """Rows of `model` by id in one query, kept referenced by the caller while it builds resources:
    the session's identity map holds rows only weakly, and the builders' `session.get` then finds
    them there instead of querying once per resource."""
    wanted = set(ids) - {None}
    return list(session.scalars(select(model).where(model.id.in_(wanted)))) if wanted else []


def patient_of(*, session: Session, patient: Patient) -> dict:
    user = session.get(User, patient.user_id)
    name = {"use": "official", "text": user.full_name}
    if patient.family_name:
        name["family"] = patient.family_name
    if patient.given_name:
        name["given"] = patient.given_name.split()
    resource = {"resourceType": "Patient", "id": patient.id, "identifier": [{"system": PATIENT_ID, "value": patient.id}],
                "active": True, "name": [name], "gender": GENDERS.get(patient.sex, "unknown"),
                "birthDate": patient.birth_date.isoformat()}
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    return resource


def patient_resource(*, session: Session, user: User, patient_id: str) -> dict:
    patient = patients.read_record(session=session, user=user, patient_id=patient_id)
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.FHIR_PATIENT_READ, subject_type="patient",
                 subject_id=patient.id, patient_id=patient.id, detail={})
    return patient_of(session=session, patient=patient)


def medication_request_of(*, session: Session, item: PrescriptionItem, prescription: Prescription) -> dict:
    drug = session.get(Drug, item.drug_id)
    doctor = session.get(User, prescription.doctor_id)
    frequency = Decimal(item.frequency_per_day)
    timing = ({"frequency": int(frequency), "period": 1, "periodUnit": "d"}
              if frequency == frequency.to_integral_value() else
              {"frequency": 1, "period": number(1 / frequency), "periodUnit": "d"})
    resource = {
        "resourceType": "MedicationRequest", "id": item.id,
        "identifier": [{"system": PRESCRIPTION_GROUP, "value": f"{prescription.id}/{item.position + 1}"}],
        "groupIdentifier": {"system": PRESCRIPTION_GROUP, "value": prescription.id},
        "status": REQUEST_STATUS[prescription.status], "intent": "order",
        "medicationCodeableConcept": drug_concept(drug),
        "subject": {"reference": f"Patient/{prescription.patient_id}"},
        "encounter": {"reference": f"Encounter/{prescription.consultation_id}"},
        "authoredOn": instant(prescription.signed_at or prescription.created_at),
        "requester": {"reference": f"Practitioner/{doctor.id}", "display": doctor.full_name},
        "reasonCode": [{"coding": [{"system": ICD10, "code": prescription.diagnosis["code"],
                                    "display": prescription.diagnosis["display"]}]}],
        "dosageInstruction": [{
            "text": item.instructions or f"{number(item.dose)} {item.dose_unit} {number(frequency)} times a day",
            "timing": {"repeat": timing}, "route": {"text": item.route},
            "doseAndRate": [{"doseQuantity": {"value": number(item.dose), "unit": item.dose_unit, "system": UCUM,
                                              "code": UCUM_CODES.get(item.dose_unit, "{unit}")}}]}],
        "dispenseRequest": {
            "numberOfRepeatsAllowed": item.refills,
            "quantity": units(item.quantity),
            "expectedSupplyDuration": units(item.days_supply, "d", "days")},
    }
    if prescription.signed_at and prescription.valid_until:
        resource["dispenseRequest"]["validityPeriod"] = {"start": instant(prescription.signed_at),
                                                         "end": instant(prescription.valid_until)}
    if prescription.reviewed_by:
        resource["performer"] = {"reference": f"Practitioner/{prescription.reviewed_by}"}
    return resource


def medication_request(*, session: Session, user: User, item_id: str) -> dict:
    item = session.get(PrescriptionItem, item_id)
    if item is None:
        raise NotFound(_("No such MedicationRequest."))
    prescription = prescriptions.get(session=session, user=user, prescription_id=item.prescription_id)
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.FHIR_MEDICATION_REQUEST_READ,
                 subject_type="prescription",
                 subject_id=prescription.id, patient_id=prescription.patient_id, detail={"item_id": item.id})
    return medication_request_of(session=session, item=item, prescription=prescription)


def items_of(*, session: Session, prescription_ids: list[str]) -> list[PrescriptionItem]:
    return list(session.scalars(select(PrescriptionItem).where(PrescriptionItem.prescription_id.in_(prescription_ids))
                                .order_by(PrescriptionItem.prescription_id, PrescriptionItem.position)))


def encounter_of(*, consultation: Consultation) -> dict:
    resource = {"resourceType": "Encounter", "id": consultation.id,
                "status": ENCOUNTER_STATUS[consultation.status],
                "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
                "subject": {"reference": f"Patient/{consultation.patient_id}"},
                "period": {"start": instant(consultation.created_at)},
                "reasonCode": [{"text": consultation.chief_complaint}]}
    if consultation.closed_at:
        resource["period"]["end"] = instant(consultation.closed_at)
    if consultation.doctor_id:
        resource["participant"] = [{"individual": {"reference": f"Practitioner/{consultation.doctor_id}"}}]
    return resource


def encounter(*, session: Session, user: User, consultation_id: str) -> dict:
    consultation = consultations.get(session=session, user=user, consultation_id=consultation_id)
    audit.record_read(session=session, reader=user, action=FhirEvent.ENCOUNTER_READ, subject_type="consultation",
                      subject_id=consultation.id, patient_id=consultation.patient_id)
    return encounter_of(consultation=consultation)


def provenance_of(*, prescription: Prescription, items: list[PrescriptionItem], suggestions=()) -> dict:
    """Who signed the prescription (author), which pharmacist approved or rejected it once reviewed, and
    any assistant whose suggestion the doctor drafted it from (a contributing device, never the author)."""
    agents = [{"type": {"coding": [{"system": PROVENANCE_ROLE, "code": "author"}]},
               "who": {"reference": f"Practitioner/{prescription.doctor_id}"}}]
    if prescription.reviewed_by:
        agents.append({"type": {"coding": [{"system": PROVENANCE_ROLE, "code": "verifier"}]},
                       "who": {"reference": f"Practitioner/{prescription.reviewed_by}"}})
    agents += [assistant_fhir.device_agent(suggestion) for suggestion in suggestions]
    entities = {"entity": [assistant_fhir.source_entity(s) for s in suggestions]} if suggestions else {}
    return {"resourceType": "Provenance", "id": prescription.id, **entities,
            "target": [{"reference": f"MedicationRequest/{item.id}"} for item in items],
            "occurredPeriod": {"start": instant(prescription.signed_at),
                               **({"end": instant(prescription.reviewed_at)} if prescription.reviewed_at else {})},
            "recorded": instant(prescription.reviewed_at or prescription.signed_at), "agent": agents}


def provenance(*, session: Session, user: User, prescription_id: str) -> dict:
    prescription = prescriptions.get(session=session, user=user, prescription_id=prescription_id)
    if prescription.signed_at is None:  # a draft has no author's signature yet
        raise NotFound(_("No such Provenance."))
    audit.record_read(session=session, reader=user, action=FhirEvent.PROVENANCE_READ, subject_type="prescription",
                      subject_id=prescription.id, patient_id=prescription.patient_id)
    suggestions = assistant_fhir.contributions(session=session, prescription_ids=[prescription.id])
    return provenance_of(prescription=prescription, suggestions=suggestions.get(prescription.id, ()),
                         items=items_of(session=session, prescription_ids=[prescription.id]))
