"""FHIR R4 MedicationDispense: one per order line, with the lots it came from."""

from sqlalchemy.orm import Session

from consult import dispensing
from consult.fhir import UCUM, medication
from consult.models import Drug
from core import audit
from core.errors import NotFound
from core.identity.models import User
from shop import order_queries
from shop.models import OrderLine
from shop.events import ShopEvent
from core.i18n import _

# rxloop order status → FHIR R4 MedicationDispense.status (a required value set).
DISPENSE_STATUS = {"pending_payment": "preparation", "paid": "preparation", "dispensed": "completed",
                   "shipped": "completed", "delivered": "completed", "refunded": "completed",
                   "cancelled": "cancelled", "expired": "cancelled"}


def medication_dispense(*, session: Session, user: User, line_id: str) -> dict:
    line = session.get(OrderLine, line_id)
    if line is None:
        raise NotFound(_("No such MedicationDispense."))
    order = order_queries.get(session=session, user=user, order_id=line.order_id)
    lots = order_queries.lines_of(session=session, orders=[order])[order.id]
    lots = next(d["lots"] for d in lots if d["id"] == line.id)
    drug = session.get(Drug, line.drug_id)
    resource = {
        "resourceType": "MedicationDispense", "id": line.id,
        "identifier": [{"system": "urn:rxloop:order", "value": f"{order.id}/{line.position + 1}"}],
        "status": DISPENSE_STATUS[order.status],
        "medicationCodeableConcept": medication(drug),
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "quantity": {"value": line.units, "unit": "unit", "system": UCUM, "code": "{unit}"},
        "note": [{"text": f"Lot {lot['lot_number']} (expires {lot['expiry_date'].isoformat()}): "
                          f"{lot['quantity']} pack(s), {lot['status']}"} for lot in lots],
    }
    if line.days_supply:
        resource["daysSupply"] = {"value": line.days_supply, "unit": "days", "system": UCUM, "code": "d"}
    if order.dispensed_by:
        resource["performer"] = [{"actor": {"reference": f"Practitioner/{order.dispensed_by}"}}]
    if order.dispensed_at:
        resource["whenHandedOver"] = order.dispensed_at.isoformat().replace("+00:00", "Z")
    if line.prescription_use_id:
        item_id = dispensing.item_of_use(session=session, use_id=line.prescription_use_id)
        resource["authorizingPrescription"] = [{"reference": f"MedicationRequest/{item_id}"}]
    audit.record(session=session, actor_id=user.id, action=ShopEvent.FHIR_MEDICATION_DISPENSE_READ,
                 subject_type="order",
                 subject_id=order.id, patient_id=order.patient_id, detail={"line_id": line.id})
    return resource
