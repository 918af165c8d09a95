"""FHIR MedicationDispense: one per order line, with the lots it came from, dispensed by the pharmacy."""

from sqlalchemy.orm import Session

from consult import dispensing
from consult.models import Drug
from core import audit
from core.errors import NotFound
from core.i18n import _
from core.identity.models import User
from fhir_api.directory import PHARMACY_ID
from fhir_api.terminology import ORDER, drug_concept, instant, units
from shop import order_queries
from shop.events import ShopEvent
from shop.models import Order, OrderLine

# rxloop order status → FHIR R4 MedicationDispense.status (a required value set).
DISPENSE_STATUS = {"pending_payment": "preparation", "paid": "preparation", "dispensed": "completed",
                   "shipped": "completed", "delivered": "completed", "refunded": "completed",
                   "cancelled": "cancelled", "expired": "cancelled"}


def medication_dispense_of(*, session: Session, line: OrderLine, order: Order, lots: list[dict]) -> dict:
    """`lots` are the line's allocations as order_queries.lines_of gives them."""
    drug = session.get(Drug, line.drug_id)
    performers = [{"actor": {"reference": f"Organization/{PHARMACY_ID}"}}]
    if order.dispensed_by:
        performers.insert(0, {"actor": {"reference": f"Practitioner/{order.dispensed_by}"}})
    resource = {
        "resourceType": "MedicationDispense", "id": line.id,
        "identifier": [{"system": ORDER, "value": f"{order.id}/{line.position + 1}"}],
        "status": DISPENSE_STATUS[order.status],
        "medicationCodeableConcept": drug_concept(drug),
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "performer": performers,
        "quantity": units(line.units),
        "note": [{"text": f"Lot {lot['lot_number']} (expires {lot['expiry_date'].isoformat()}): "
                          f"{lot['quantity']} pack(s), {lot['status']}"} for lot in lots],
    }
    if not lots:
        del resource["note"]
    if line.days_supply:
        resource["daysSupply"] = units(line.days_supply, "d", "days")
    if order.dispensed_at:
        resource["whenHandedOver"] = instant(order.dispensed_at)
    if line.prescription_use_id:
        item_id = dispensing.item_of_use(session=session, use_id=line.prescription_use_id)
        resource["authorizingPrescription"] = [{"reference": f"MedicationRequest/{item_id}"}]
    return resource


def lots_by_line(*, session: Session, orders: list[Order]) -> dict[str, list[dict]]:
    return {line["id"]: line["lots"] for lines in order_queries.lines_of(session=session, orders=orders).values()
            for line in lines}


def medication_dispense(*, session: Session, user: User, line_id: str) -> dict:
    line = session.get(OrderLine, line_id)
    if line is None:
        raise NotFound(_("No such MedicationDispense."))
    order = order_queries.get(session=session, user=user, order_id=line.order_id)
    audit.record(session=session, actor_id=user.id, action=ShopEvent.FHIR_MEDICATION_DISPENSE_READ,
                 subject_type="order",
                 subject_id=order.id, patient_id=order.patient_id, detail={"line_id": line.id})
    lots = lots_by_line(session=session, orders=[order]).get(line.id, [])
    return medication_dispense_of(session=session, line=line, order=order, lots=lots)
