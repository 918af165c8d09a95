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


def provenance(*, session: Session, suggestion: Suggestion) -> dict:
    if suggestion.prescription_id is None:
        raise NotFound(_("This suggestion has not become a prescription."))
    prescription = session.get(Prescription, suggestion.prescription_id)
    item_ids = session.scalars(select(PrescriptionItem.id).where(PrescriptionItem.prescription_id == prescription.id)
                               .order_by(PrescriptionItem.position))
    device = f"{suggestion.provider}/{suggestion.model}/{suggestion.model_version}"
    return {
        "resourceType": "Provenance", "id": suggestion.id,
        "target": [{"reference": f"MedicationRequest/{item_id}"} for item_id in item_ids],
        "recorded": _time(prescription.signed_at or prescription.created_at),
        "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE", "display": "create"}]},
        "agent": [
            {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author", "display": "Author"}]},
             "who": {"reference": f"Practitioner/{prescription.doctor_id}"}},
            {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "assembler", "display": "Assembler"}]},
             "role": [{"text": "contributor: an assistant's suggestion, decided by the author"}],
             "who": {"type": "Device", "identifier": {"system": ASSISTANT_SYSTEM, "value": device},
                     "display": f"assistant {device}"}},
        ],
        "entity": [{"role": "source",
                    "what": {"identifier": {"system": SUGGESTION_SYSTEM, "value": suggestion.id},
                             "display": f"{suggestion.kind} suggestion, {suggestion.outcome} by the doctor"}}],
    }
