"""The loop back to a doctor: the consultation a refused prescription-medicine purchase suggests, what the patient
must add to it, and the requested products a consultation carries for the doctor's draft.

A consultation that asks for a prescription (it names requested products) is checked up front for what prescribing
will need under the policy, so a patient is told the missing fields (422, with a JSON Schema fragment) instead of
waiting for a doctor who could not prescribe, or being referred offline for a field left out.
"""

from sqlalchemy.orm import Session

from consult import packs
from consult.models import Patient
from consult.policy import get_policy, prescription_consultation_needs
from consult.safety_facts import age_in_months
from core.db import utcnow
from core.errors import ValidationFailed
from core.i18n import _

# JSON Schema of each field a patient may be asked to add (the API's ConsultationRequest, in the same words).
FIELD_SCHEMAS = {
    "prior_diagnosis": {
        "type": "object", "required": ["code", "display"],
        "description": "The diagnosis made in person that this visit follows up.",
        "properties": {"code": {"type": "string", "description": "ICD-10 code, e.g. J03.9",
                                "pattern": r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"},
                       "display": {"type": "string", "minLength": 1, "maxLength": 200}}},
    "prior_diagnosis_evidence": {
        "type": "object", "required": ["institution", "date", "document_reference"],
        "description": "The record of that diagnosis: where and when it was made, and the document that shows it.",
        "properties": {"institution": {"type": "string", "minLength": 1, "maxLength": 200},
                       "date": {"type": "string", "format": "date", "description": "not in the future"},
                       "document_reference": {"type": "string", "minLength": 1, "maxLength": 100}}},
    "guardian": {
        "type": "object", "required": ["name", "relationship"],
        "description": "The guardian who accompanies a young child.",
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
                       "relationship": {"type": "string", "minLength": 1, "maxLength": 40}}},
}


def _age_years(patient: Patient) -> int | None:
    months = age_in_months(patient.birth_date, utcnow().date())
    return None if months is None else months // 12


def needs(*, patient: Patient, policy_name: str) -> tuple[str, ...]:
    """The fields this patient's consultation asking for a prescription must carry under the policy."""
    return prescription_consultation_needs(get_policy(policy_name), age_years=_age_years(patient))


def schema_of(fields: tuple[str, ...]) -> dict:
    """A JSON Schema fragment the patient's additions to the ready body must satisfy."""
    return {"type": "object", "required": list(fields), "properties": {f: FIELD_SCHEMAS[f] for f in fields}}


def ready(*, patient: Patient, policy_name: str, pack: packs.Pack, packs_wanted: int) -> dict:
    """What a refused purchase suggests: the ready body for POST /consultations (`consultation_request`), the fields
    the patient must add to it (`consultation_request_missing`) and their JSON Schema (`…_schema`)."""
    missing = needs(patient=patient, policy_name=policy_name)
    return {
        "consultation_request": {
            # Data the client posts back as it is, not a message: the same in every language.
            "chief_complaint": f"Prescription for {pack.name}", "symptoms": [], "is_follow_up": True,
            "requested_product_ids": [pack.product_id],
            "requested_products": [{"product_id": pack.product_id, "drug_id": pack.drug_id, "packs": packs_wanted}]},
        "consultation_request_missing": list(missing),
        "consultation_request_schema": schema_of(missing),
    }


def requested_products(*, session: Session, product_ids: list[str], requested: list[dict]) -> list[dict]:
    """The products a consultation asks for, described from the catalogue (product, drug, name, pack size, packs).

    `requested_product_ids` (the older field) and `requested_products` together, each product once; an unknown
    product, or a drug that is not the product's, is a validation error."""
    wanted: dict[str, dict] = {}
    errors = {}
    entries = [("requested_product_ids", i, {"product_id": pid}) for i, pid in enumerate(product_ids)]
    entries += [("requested_products", i, entry) for i, entry in enumerate(requested)]
    for field, position, entry in entries:
        pack = packs.find(session=session, product_id=entry["product_id"])
        if pack is None:
            key = f"{field}.{position}" if field == "requested_product_ids" else f"{field}.{position}.product_id"
            errors[key] = [_("No such product.")]
            continue
        if entry.get("drug_id") not in (None, pack.drug_id):
            errors[f"{field}.{position}.drug_id"] = [_("Not the drug of product %(id)s (%(drug)s).",
                                                       id=pack.product_id, drug=pack.drug_id)]
            continue
        described = wanted.setdefault(pack.product_id, {**pack.as_record(), "packs": None})
        described["packs"] = entry.get("packs") or described["packs"]
    if errors:
        raise ValidationFailed(_("Some requested products are not in the catalogue."), errors=errors)
    return list(wanted.values())


def require_complete(*, patient: Patient, policy_name: str, is_follow_up: bool, given: dict) -> None:
    """A consultation asking for a prescription carries what prescribing will need (ValidationFailed listing the
    missing fields, with their JSON Schema, if not)."""
    missing = [f for f in needs(patient=patient, policy_name=policy_name) if not given.get(f)]
    errors = {f: [_("Required to prescribe under this jurisdiction's rules.")] for f in missing}
    if "prior_diagnosis" in missing or "prior_diagnosis_evidence" in missing:
        if not is_follow_up:
            errors["is_follow_up"] = [_("Must be true: online visits only follow up a diagnosis made in person.")]
    if errors:
        raise ValidationFailed(
            _("A consultation for a prescription needs these fields under this jurisdiction's rules: %(fields)s.",
              fields=", ".join(missing)),
            errors=errors, missing=missing, schema=schema_of(tuple(missing)))
