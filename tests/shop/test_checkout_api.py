"""Checkout over HTTP: idempotency, prescriptions, stock, cancel and expiry release exactly once."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from consult.models import PrescriptionItem
from core.db import utcnow
from shop import orders
from shop.models import InventoryLot, Order
from tests.factories.consult import AMOXICILLIN, PRIOR_DIAGNOSIS_EVIDENCE, approved_prescription, item
from tests.factories.shop import ADDRESS, add_lot, make_product


def order_body(*lines):
    return {"items": [{"product_id": p.id, "quantity": q, **extra} for p, q, *rest in lines
                      for extra in [rest[0] if rest else {}]],
            "shipping_address": ADDRESS}


def checkout(client, body, key="key-00000001"):
    return client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})


def lot_of(session, product):
    session.expire_all()
    return session.scalars(select(InventoryLot).where(InventoryLot.product_id == product.id)).first()


@pytest.fixture
def otc(session):
    return make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)


@pytest.fixture
def amoxicillin(session):
    return make_product(session, AMOXICILLIN, pack_size=21, price=3500, stock=10)


def test_an_otc_order_reserves_stock_and_waits_for_payment(session, login_as, otc):
    patient = login_as("patient")
    response = checkout(patient, order_body((otc, 2)))
    assert response.status_code == 201
    order = response.json
    assert order["status"] == "pending_payment"
    assert order["total"] == {"amount": 2400, "currency": "cny"}
    assert order["payment"]["provider"] == "stripe"
    assert order["items"][0]["lots"][0]["quantity"] == 2
    assert lot_of(session, otc).reserved == 2


def test_the_same_key_and_body_return_the_same_order(session, login_as, otc):
    patient = login_as("patient")
    first = checkout(patient, order_body((otc, 2)))
    again = checkout(patient, order_body((otc, 2)))
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert lot_of(session, otc).reserved == 2


def test_the_order_checkout_answers_is_the_order_as_read_back(session, login_as, otc):
    """The 201 body is built from what checkout wrote, not read back: it must equal the read."""
    patient = login_as("patient")
    second = make_product(session, "paracetamol-500mg-tab", pack_size=10, price=700, stock=0)
    add_lot(session, second, 1, expiry_days=50)
    add_lot(session, second, 5, expiry_days=80)  # the second line spans two lots
    placed = checkout(patient, order_body((otc, 2), (second, 3)))
    assert placed.status_code == 201
    assert [len(line["lots"]) for line in placed.json["items"]] == [1, 2]
    assert patient.get(f"/api/v1/orders/{placed.json['id']}").json == placed.json
    assert checkout(patient, order_body((otc, 2), (second, 3))).json == placed.json


def test_a_refused_second_line_leaves_nothing_of_the_order(session, login_as, otc):
    patient = login_as("patient")
    scarce = make_product(session, "paracetamol-500mg-tab", pack_size=10, price=700, stock=1)
    response = checkout(patient, order_body((otc, 2), (scarce, 2)))
    assert response.status_code == 409 and response.json["type"] == "/problems/out-of-stock"
    session.expire_all()
    assert session.scalars(select(Order)).all() == []
    assert lot_of(session, otc).reserved == 0 and lot_of(session, scarce).reserved == 0


def test_the_same_key_with_another_body_is_a_conflict(session, login_as, otc):
    patient = login_as("patient")
    checkout(patient, order_body((otc, 2)))
    response = checkout(patient, order_body((otc, 3)))
    assert response.status_code == 409 and response.json["type"] == "/problems/conflict"
    assert lot_of(session, otc).reserved == 2


def test_a_key_is_required(login_as, otc):
    response = login_as("patient").post("/api/v1/orders", json=order_body((otc, 1)))
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["errors"]


def test_an_rx_line_without_a_prescription_points_to_a_consultation(session, login_as, otc, amoxicillin):
    patient = login_as("patient")
    response = checkout(patient, order_body((otc, 1), (amoxicillin, 1)))
    assert response.status_code == 409
    problem = response.json
    assert problem["type"] == "/problems/prescription-required"
    assert problem["consultation_url"] == "/api/v1/consultations"
    assert problem["consultation_request"]["requested_product_ids"] == [amoxicillin.id]
    assert "items.1.prescription_id" in problem["errors"]
    # nothing was held: not even the OTC line's stock
    assert lot_of(session, otc).reserved == 0
    assert session.scalar(select(Order).where(Order.user_id == patient.user.id)) is None
    # the ready body, with the fields the problem names, opens a consultation
    assert problem["consultation_request_missing"] == ["prior_diagnosis", "prior_diagnosis_evidence"]
    opened = patient.post(problem["consultation_url"], json={
        **problem["consultation_request"], "prior_diagnosis": {"code": "J02.9", "display": "Pharyngitis"},
        "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE})
    assert (opened.status_code, opened.json["status"]) == (201, "waiting")
    assert opened.json["requested_product_ids"] == [amoxicillin.id]


def test_an_rx_line_with_an_approved_prescription_is_ordered(session, login_as, amoxicillin):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    response = checkout(patient, order_body((amoxicillin, 1)))
    assert response.status_code == 201, response.json
    assert response.json["items"][0]["prescription_id"] == rx.id
    session.expire_all()
    assert session.scalar(select(PrescriptionItem.quantity_remaining)
                          .where(PrescriptionItem.prescription_id == rx.id)) == 0


def test_a_prescription_of_thirty_units_cannot_be_spent_by_two_orders_of_twenty(session, login_as):
    product = make_product(session, AMOXICILLIN, pack_size=20, stock=10)
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    approved_prescription(session, patient.user, doctor.user, pharmacist.user, items=[item(quantity=30)])
    assert checkout(patient, order_body((product, 1)), key="key-first-0001").status_code == 201
    second = checkout(patient, order_body((product, 1)), key="key-second-001")
    assert second.status_code == 409 and second.json["type"] == "/problems/prescription-exhausted"
    assert lot_of(session, product).reserved == 1


def test_a_shortage_is_out_of_stock_and_holds_nothing(session, login_as, otc):
    response = checkout(login_as("patient"), order_body((otc, 11)))
    assert response.status_code == 409 and response.json["type"] == "/problems/out-of-stock"
    assert lot_of(session, otc).reserved == 0


def test_checkout_takes_the_cart_by_default_and_empties_it(session, login_as, otc):
    patient = login_as("patient")
    patient.put(f"/api/v1/cart/items/{otc.id}", json={"quantity": 3})
    response = checkout(patient, {"shipping_address": ADDRESS})
    assert response.status_code == 201
    assert response.json["items"][0]["quantity"] == 3
    assert patient.get("/api/v1/cart").json["lines"] == []
    assert checkout(patient, {"shipping_address": ADDRESS}).json["id"] == response.json["id"]


def test_an_empty_cart_cannot_be_ordered(login_as):
    assert checkout(login_as("patient"), {"shipping_address": ADDRESS}).status_code == 422


def test_cancel_releases_stock_and_prescription_exactly_once(session, login_as, amoxicillin):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    order = checkout(patient, order_body((amoxicillin, 1))).json
    assert patient.post(f"/api/v1/orders/{order['id']}/cancel").json["status"] == "cancelled"
    again = patient.post(f"/api/v1/orders/{order['id']}/cancel")
    assert again.status_code == 409
    assert lot_of(session, amoxicillin).reserved == 0
    assert session.scalar(select(PrescriptionItem.quantity_remaining)
                          .where(PrescriptionItem.prescription_id == rx.id)) == 21


def test_expiry_releases_stock_and_prescription_exactly_once(session, login_as, amoxicillin, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    order_id = checkout(patient, order_body((amoxicillin, 1))).json["id"]
    assert orders.expire_unpaid(session=session) == 0
    time_machine.shift(timedelta(minutes=31))
    assert orders.expire_unpaid(session=session) == 1
    assert orders.expire_unpaid(session=session) == 0
    assert patient.get(f"/api/v1/orders/{order_id}").json["status"] == "expired"
    assert lot_of(session, amoxicillin).reserved == 0
    assert session.scalar(select(PrescriptionItem.quantity_remaining)
                          .where(PrescriptionItem.prescription_id == rx.id)) == 21


def test_another_patient_sees_nothing_of_an_order_or_a_cart(session, login_as, otc):
    owner, stranger = login_as("patient"), login_as("patient")
    owner.put(f"/api/v1/cart/items/{otc.id}", json={"quantity": 1})
    order_id = checkout(owner, order_body((otc, 1))).json["id"]
    assert stranger.get(f"/api/v1/orders/{order_id}").status_code == 404
    assert stranger.post(f"/api/v1/orders/{order_id}/cancel").status_code == 404
    assert order_id not in [o["id"] for o in stranger.get("/api/v1/orders").json["items"]]
    assert stranger.get("/api/v1/cart").json["lines"] == []
    assert owner.get(f"/api/v1/orders/{order_id}").status_code == 200


def test_staff_see_every_patient_s_orders(session, login_as, otc):
    owner, pharmacist = login_as("patient"), login_as("pharmacist")
    order_id = checkout(owner, order_body((otc, 1))).json["id"]
    assert order_id in [o["id"] for o in pharmacist.get("/api/v1/orders").json["items"]]
    assert pharmacist.get(f"/api/v1/orders/{order_id}").status_code == 200


def test_nobody_can_cancel_an_order_once_dispensed(session, login_as, otc):
    owner, pharmacist = login_as("patient"), login_as("pharmacist")
    order_id = checkout(owner, order_body((otc, 1))).json["id"]
    session.execute(update(Order).where(Order.id == order_id).values(status="paid"))
    session.commit()  # paid (payments are deferred in this test)
    assert pharmacist.post(f"/api/v1/orders/{order_id}/dispense").json["status"] == "dispensed"
    for who in (owner, pharmacist):
        refused = who.post(f"/api/v1/orders/{order_id}/cancel", json={})
        assert (refused.status_code, refused.json["type"]) == (409, "/problems/invalid-transition")
    assert owner.get(f"/api/v1/orders/{order_id}").json["status"] == "dispensed"


def test_a_patient_may_cancel_a_paid_order_before_dispensing(session, login_as, otc):
    owner = login_as("patient")
    order_id = checkout(owner, order_body((otc, 1))).json["id"]
    session.execute(update(Order).where(Order.id == order_id).values(status="paid"))
    session.commit()
    assert owner.post(f"/api/v1/orders/{order_id}/cancel", json={}).json["status"] == "cancelled"
    assert lot_of(session, otc).reserved == 0


# ---- the China online-retail prohibition list ----------------------------------------------------------

WARFARIN = "warfarin-3mg-tab"
WARFARIN_ITEM = item(WARFARIN, dose=3, dose_unit="mg", frequency_per_day=1, days_supply=7, quantity=7)


def test_under_cn_a_drug_on_the_prohibition_list_is_refused_at_checkout_even_with_an_approved_prescription(
        session, login_as):
    warfarin = make_product(session, WARFARIN, pack_size=7, price=2000, stock=5)
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    prescription = approved_prescription(session, patient.user, doctor.user, pharmacist.user, items=[WARFARIN_ITEM],
                                         override_reason="Reviewed.")
    response = checkout(patient, order_body((warfarin, 1, {"prescription_id": prescription.id})))
    assert response.status_code == 422
    assert response.json["type"] == "/problems/policy-violation"
    assert response.json["rule"] == "cn.online-sale-prohibited"
    assert response.json["citation"] == "国家药监局关于发布药品网络销售禁止清单（第一版）的公告（2022年第111号） 二（四）"
    assert response.json["product_id"] == warfarin.id
    assert response.json["errors"] == {"items.0.product_id": ["Not sold online under this jurisdiction."]}
    assert session.scalars(select(Order)).all() == [] and lot_of(session, warfarin).reserved == 0


def test_under_cn_a_prohibited_drug_is_refused_before_asking_for_a_prescription(session, login_as):
    tramadol = make_product(session, "tramadol-50mg-cap", pack_size=10, price=2000, stock=5)
    response = checkout(login_as("patient"), order_body((tramadol, 1)))
    assert (response.status_code, response.json["rule"]) == (422, "cn.online-sale-prohibited")
    assert response.json["citation"].endswith(" 一")


def test_under_us_the_cn_list_does_not_apply_at_checkout(session, login_as, us_policy):
    warfarin = make_product(session, WARFARIN, pack_size=7, price=2000, stock=5)
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    prescription = approved_prescription(session, patient.user, doctor.user, pharmacist.user, items=[WARFARIN_ITEM],
                                         override_reason="Reviewed.")
    response = checkout(patient, order_body((warfarin, 1, {"prescription_id": prescription.id})))
    assert response.status_code == 201
    assert lot_of(session, warfarin).reserved == 1


def test_without_a_payment_provider_the_order_says_it_cannot_be_paid(login_as, otc):
    response = checkout(login_as("patient"), order_body((otc, 1)))
    assert response.status_code == 201
    payment = response.json["payment"]
    assert (payment["status"], payment["payment_intent_id"]) == ("unavailable", None)
    assert payment["message"].startswith("Payments are not set up on this server")
