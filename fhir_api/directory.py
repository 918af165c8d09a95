"""FHIR views of who and what the records name: Practitioner (a doctor or pharmacist with their
licence), Organization (the pharmacy, from configuration) and Medication (a formulary drug).

None of these is a patient's data: any signed-in user may read them, unaudited, so every
reference in a patient's resources can be followed.
"""

from flask import current_app
from sqlalchemy.orm import Session

from consult.formulary import get_formulary
from consult.models import Drug
from core.errors import NotFound
from core.i18n import _
from core.identity.models import User
from fhir_api.terminology import ATC, LICENCE, PHARMACY_LICENCE, UCUM, V2_DEGREE, number

PHARMACY_ID = "pharmacy"
PRACTITIONER_ROLES = ("doctor", "pharmacist")
# The qualification each practitioner role holds (HL7 v2 table 0360).
QUALIFICATIONS = {"doctor": ("MD", "Doctor of Medicine"), "pharmacist": ("RPH", "Registered Pharmacist")}


def practitioner_of(user: User) -> dict:
    code, display = QUALIFICATIONS[user.role]
    qualification = {"code": {"coding": [{"system": V2_DEGREE, "code": code, "display": display}],
                              "text": user.specialty or display}}
    resource = {"resourceType": "Practitioner", "id": user.id, "active": user.is_active,
                "name": [{"text": user.full_name}], "qualification": [qualification]}
    if user.license_number:
        licence = {"system": LICENCE, "value": user.license_number}
        resource["identifier"] = [licence]
        qualification["identifier"] = [licence]
    return resource


def practitioner(*, session: Session, user: User, practitioner_id: str) -> dict:
    found = session.get(User, practitioner_id)
    if found is None or found.role not in PRACTITIONER_ROLES:
        raise NotFound(_("No such Practitioner."))
    return practitioner_of(found)


def organization(*, session: Session, user: User, organization_id: str) -> dict:
    if organization_id != PHARMACY_ID:
        raise NotFound(_("No such Organization."))
    return pharmacy()


def pharmacy() -> dict:
    config = current_app.config
    return {"resourceType": "Organization", "id": PHARMACY_ID, "active": True,
            "identifier": [{"system": PHARMACY_LICENCE, "value": config["PHARMACY_LICENCE"]}],
            "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                  "code": "prov", "display": "Healthcare Provider"}], "text": "Pharmacy"}],
            "name": config["PHARMACY_NAME"]}


def medication_of(drug: Drug) -> dict:
    """The drug with its ATC code and each ingredient's amount in one unit (tablet, capsule, mL…)."""
    source = get_formulary().drugs.get(drug.id)
    per_ml = source is not None and source.strength_unit.endswith("/mL")
    per_unit = ({"value": 1, "unit": "mL", "system": UCUM, "code": "mL"} if per_ml else
                {"value": 1, "unit": drug.form, "system": UCUM, "code": "{" + drug.form.replace(" ", "-") + "}"})
    resource = {"resourceType": "Medication", "id": drug.id,
                "code": {"coding": [{"system": ATC, "code": drug.atc_code, "display": drug.generic_name}],
                         "text": f"{drug.generic_name} {drug.strength} {drug.form}"},
                "status": "active" if drug.active else "inactive", "form": {"text": drug.form}}
    if source is not None:
        resource["ingredient"] = [
            {"itemCodeableConcept": {"text": name}, "isActive": True,
             "strength": {"numerator": {"value": number(amount), "unit": "mg", "system": UCUM, "code": "mg"},
                          "denominator": per_unit}}
            for name, amount in zip(source.ingredients, source.amounts)]
    return resource


def medication(*, session: Session, user: User, drug_id: str) -> dict:
    drug = session.get(Drug, drug_id)
    if drug is None:
        raise NotFound(_("No such Medication."))
    return medication_of(drug)
