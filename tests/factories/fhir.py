"""A patient's whole record in one call: a consultation, an approved two-item prescription and a
dispensed order (with its lot), through the same services and API the product uses."""

from dataclasses import dataclass

from sqlalchemy import update

from consult import patients
from shop.models import Order
from tests.factories.consult import AMOXICILLIN, approved_prescription, item
from tests.factories.shop import ADDRESS, make_product


@dataclass
class Record:
    people: dict  # role → ApiClient (patient, doctor, pharmacist, admin)
    patient_id: str
    prescription: object
    item_ids: list[str]
    order_id: str
    line_id: str


def make_record(session, login, *, key="fhir-record-0001", people=None) -> Record:
    """`login(role)` gives a client for a new user of that role (the `login_as` fixture)."""
    people = people or {role: login(role) for role in ("patient", "doctor", "pharmacist", "admin")}
    rx = approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                               items=[item(), item("paracetamol-500mg-tab", dose=1, dose_unit="tablet",
                                               frequency_per_day=0.5, quantity=4, days_supply=7)],
                               override_reason="A further course, reviewed.")  # used only when there are warnings
    product = make_product(session, AMOXICILLIN, pack_size=21, price=3500, stock=10)
    order = people["patient"].post("/api/v1/orders", headers={"Idempotency-Key": key}, json={
        "items": [{"product_id": product.id, "quantity": 1}], "shipping_address": ADDRESS}).json
    session.execute(update(Order).where(Order.id == order["id"]).values(status="paid"))
    session.commit()  # paid (payments are deferred in tests)
    dispensed = people["pharmacist"].post(f"/api/v1/orders/{order['id']}/dispense")
    assert dispensed.status_code == 200, dispensed.json
    items = people["patient"].get(f"/api/v1/prescriptions/{rx.id}").json["items"]
    return Record(people=people, patient_id=patients.of_user(session=session, user=people["patient"].user).id,
                  prescription=rx, item_ids=[i["id"] for i in items], order_id=order["id"],
                  line_id=dispensed.json["items"][0]["id"])
