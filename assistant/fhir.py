"""A suggestion that became a prescription, as FHIR R4 Provenance on its MedicationRequests: the doctor is
the author; the assistant only a contributing device, and the suggestion the source entity."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.models import Suggestion
from consult.models import Prescription, PrescriptionItem
from core.errors import NotFound
from core.i18n import _

PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
ASSISTANT_SYSTEM = "urn:rxloop:assistant"
SUGGESTION_SYSTEM = "urn:rxloop:assistant-suggestion"


def _time(value):
    return value.isoformat().replace("+00:00", "Z")


def device_agent(suggestion: Suggestion) -> dict:
    """The assistant as a contributing device: it assembled a suggestion, the doctor decided."""
    device = f"{suggestion.provider}/{suggestion.model}/{suggestion.model_version}"
    return {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "assembler", "display": "Assembler"}]},
            "role": [{"text": "contributor: an assistant's suggestion, decided by the author"}],
            "who": {"type": "Device", "identifier": {"system": ASSISTANT_SYSTEM, "value": device},
                    "display": f"assistant {device}"}}


def source_entity(suggestion: Suggestion) -> dict:
    return {"role": "source",
            "what": {"identifier": {"system": SUGGESTION_SYSTEM, "value": suggestion.id},
                     "display": f"{suggestion.kind} suggestion, {suggestion.outcome} by the doctor"}}


def contributions(*, session: Session, prescription_ids: list[str]) -> dict[str, list[Suggestion]]:
    """Prescription id → the suggestions it was drafted from (for the prescription's own Provenance)."""
    found: dict[str, list[Suggestion]] = {}
    if prescription_ids:
        for suggestion in session.scalars(select(Suggestion).where(Suggestion.prescription_id.in_(prescription_ids))
                                          .order_by(Suggestion.created_at)):
            found.setdefault(suggestion.prescription_id, []).append(suggestion)
    return found


def provenance(*, session: Session, suggestion: Suggestion) -> dict:
    if suggestion.prescription_id is None:
        raise NotFound(_("This suggestion has not become a prescription."))
    prescription = session.get(Prescription, suggestion.prescription_id)
    item_ids = session.scalars(select(PrescriptionItem.id).where(PrescriptionItem.prescription_id == prescription.id)
                               .order_by(PrescriptionItem.position))
    return {
        "resourceType": "Provenance", "id": suggestion.id,
        "target": [{"reference": f"MedicationRequest/{item_id}"} for item_id in item_ids],
        "recorded": _time(prescription.signed_at or prescription.created_at),
        "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE", "display": "create"}]},
        "agent": [
            {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author", "display": "Author"}]},
             "who": {"reference": f"Practitioner/{prescription.doctor_id}"}},
            device_agent(suggestion),
        ],
        "entity": [source_entity(suggestion)],
    }
