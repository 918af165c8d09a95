"""FHIR R4 views of clinical records: Patient, and one MedicationRequest per prescription item.

A prescription with several items becomes several MedicationRequests sharing a
`groupIdentifier` (the prescription id): FHIR's own model of one order per medication.
"""

from decimal import Decimal

from sqlalchemy.orm import Session

from consult import patients, prescriptions
from consult.models import Drug, PrescriptionItem
from core import audit
from core.errors import NotFound
from core.identity.models import User
from consult.events import ConsultEvent
from core.i18n import _

ATC = "http://www.whocc.no/atc"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
UCUM_CODES = {"mg": "mg", "g": "g", "mcg": "ug", "mL": "mL", "tablet": "{tablet}", "capsule": "{capsule}",
              "puff": "{puff}", "drop": "[drp]", "patch": "{patch}", "IU": "[iU]", "unit": "{unit}"}
GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
# rxloop prescription status → FHIR R4 MedicationRequest.status (a required value set).
REQUEST_STATUS = {"draft": "draft", "pending_review": "on-hold", "approved": "active", "dispensed": "completed",
                  "expired": "stopped", "rejected": "cancelled", "cancelled": "cancelled"}
PRESCRIPTION_GROUP = "urn:rxloop:prescription"


def _time(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def _number(value) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def medication(drug: Drug) -> dict:
    return {"coding": [{"system": ATC, "code": drug.atc_code, "display": drug.generic_name}],
            "text": f"{drug.generic_name} {drug.strength} {drug.form}"}


def patient_resource(*, session: Session, user: User, patient_id: str) -> dict:
    patient = patients.read_record(session=session, user=user, patient_id=patient_id)
    profile = patients.profile(session=session, patient=patient)
    resource = {"resourceType": "Patient", "id": patient.id, "active": True,
                "name": [{"text": profile["full_name"]}], "gender": GENDERS.get(patient.sex, "unknown"),
                "birthDate": patient.birth_date.isoformat()}
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.FHIR_PATIENT_READ, subject_type="patient",
                 subject_id=patient.id, patient_id=patient.id, detail={})
    return resource


def medication_request(*, session: Session, user: User, item_id: str) -> dict:
    item = session.get(PrescriptionItem, item_id)
    if item is None:
        raise NotFound(_("No such MedicationRequest."))
    prescription = prescriptions.get(session=session, user=user, prescription_id=item.prescription_id)
    drug = session.get(Drug, item.drug_id)
    doctor = session.get(User, prescription.doctor_id)
    frequency = Decimal(item.frequency_per_day)
    timing = ({"frequency": int(frequency), "period": 1, "periodUnit": "d"}
              if frequency == frequency.to_integral_value() else
              {"frequency": 1, "period": _number(1 / frequency), "periodUnit": "d"})
    resource = {
        "resourceType": "MedicationRequest", "id": item.id,
        "identifier": [{"system": PRESCRIPTION_GROUP, "value": f"{prescription.id}/{item.position + 1}"}],
        "groupIdentifier": {"system": PRESCRIPTION_GROUP, "value": prescription.id},
        "status": REQUEST_STATUS[prescription.status], "intent": "order",
        "medicationCodeableConcept": medication(drug),
        "subject": {"reference": f"Patient/{prescription.patient_id}"},
        "authoredOn": _time(prescription.signed_at or prescription.created_at),
        "requester": {"reference": f"Practitioner/{doctor.id}", "display": doctor.full_name},
        "reasonCode": [{"coding": [{"system": ICD10, "code": prescription.diagnosis["code"],
                                    "display": prescription.diagnosis["display"]}]}],
        "dosageInstruction": [{
            "text": item.instructions or f"{_number(item.dose)} {item.dose_unit} {_number(frequency)} times a day",
            "timing": {"repeat": timing}, "route": {"text": item.route},
            "doseAndRate": [{"doseQuantity": {"value": _number(item.dose), "unit": item.dose_unit, "system": UCUM,
                                              "code": UCUM_CODES.get(item.dose_unit, "{unit}")}}]}],
        "dispenseRequest": {
            "numberOfRepeatsAllowed": item.refills,
            "quantity": {"value": item.quantity, "unit": "unit", "system": UCUM, "code": "{unit}"},
            "expectedSupplyDuration": {"value": item.days_supply, "unit": "days", "system": UCUM, "code": "d"}},
    }
    if prescription.signed_at and prescription.valid_until:
        resource["dispenseRequest"]["validityPeriod"] = {"start": _time(prescription.signed_at),
                                                         "end": _time(prescription.valid_until)}
    if prescription.reviewed_by:
        resource["performer"] = {"reference": f"Practitioner/{prescription.reviewed_by}"}
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.FHIR_MEDICATION_REQUEST_READ,
                 subject_type="prescription",
                 subject_id=prescription.id, patient_id=prescription.patient_id, detail={"item_id": item.id})
    return resource
