"""Money through a real Stripe-compatible server: authorize at checkout, capture at dispensing,
webhooks applied once and never backwards, cancels and refunds through the provider."""

import time

import pytest
from sqlalchemy import select

from shop.models import InventoryLot, Order
from shop.stripe_gateway import PaymentDeclined
from tests.conftest import drop_gateway
from tests.factories.consult import approved_prescription
from tests.factories.shop import ADDRESS, make_product
from tests.plugins.localstripe import confirm_card
from tests.support.webhooks import deliver, intent_object

pytestmark = pytest.mark.usefixtures("stripe_on")


@pytest.fixture
def otc(session):
    return make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)


def checkout(patient, product, quantity=1, key="pay-key-0001"):
    response = patient.post("/api/v1/orders", headers={"Idempotency-Key": key}, json={
        "items": [{"product_id": product.id, "quantity": quantity}], "shipping_address": ADDRESS})
    assert response.status_code in (200, 201), response.json
    return response.json


def authorize(client, gateway, localstripe_url, order, card="4242424242424242"):
    intent_id = order["payment"]["payment_intent_id"]
    confirm_card(localstripe_url, intent_id, card=card)
    return deliver(client, "payment_intent.amount_capturable_updated", intent_object(gateway, intent_id))


def test_the_full_paid_path(session, login_as, client, otc, stripe_gateway, localstripe_url):
    patient, pharmacist, admin = login_as("patient"), login_as("pharmacist"), login_as("admin")
    order = checkout(patient, otc, 2)
    assert order["payment"]["client_secret"] and order["payment"]["status"] == "requires_payment_method"
    assert stripe_gateway.retrieve_intent(order["payment"]["payment_intent_id"]).metadata["order_id"] == order["id"]

    assert authorize(client, stripe_gateway, localstripe_url, order).status_code == 200
    paid = patient.get(f"/api/v1/orders/{order['id']}").json
    assert (paid["status"], paid["payment"]["status"]) == ("paid", "authorized")

    dispensed = pharmacist.post(f"/api/v1/orders/{order['id']}/dispense")
    assert dispensed.status_code == 200, dispensed.json
    assert dispensed.json["status"] == "dispensed"
    assert dispensed.json["payment"] == {**dispensed.json["payment"], "status": "captured", "amount_captured": 2400}
    assert dispensed.json["items"][0]["lots"][0]["status"] == "dispensed"
    assert stripe_gateway.retrieve_intent(order["payment"]["payment_intent_id"]).amount_received == 2400

    shipped = pharmacist.post(f"/api/v1/orders/{order['id']}/ship", json={"carrier": "SF", "tracking_number": "SF1"})
    assert shipped.json["status"] == "shipped"
    assert admin.post(f"/api/v1/orders/{order['id']}/deliver").json["status"] == "delivered"
    session.expire_all()
    lot = session.scalars(select(InventoryLot).where(InventoryLot.product_id == otc.id)).one()
    assert (lot.on_hand, lot.reserved) == (8, 0)


def test_a_declined_card_leaves_the_order_waiting_with_the_failure_visible(login_as, client, otc, stripe_gateway,
                                                                           localstripe_url):
    patient = login_as("patient")
    order = checkout(patient, otc)
    intent_id = order["payment"]["payment_intent_id"]
    with pytest.raises(PaymentDeclined):
        confirm_card(localstripe_url, intent_id, card="4000000000000341")
    obj = {**intent_object(stripe_gateway, intent_id), "last_payment_error": {"message": "Your card was declined."}}
    deliver(client, "payment_intent.payment_failed", obj)
    shown = patient.get(f"/api/v1/orders/{order['id']}").json
    assert shown["status"] == "pending_payment"
    assert shown["payment"]["error"] == "Your card was declined."


def test_a_webhook_replayed_five_times_is_applied_once(session, login_as, client, otc, stripe_gateway,
                                                       localstripe_url, caplog):
    patient = login_as("patient")
    order = checkout(patient, otc)
    confirm_card(localstripe_url, order["payment"]["payment_intent_id"])
    obj = intent_object(stripe_gateway, order["payment"]["payment_intent_id"])
    replies = [deliver(client, "payment_intent.amount_capturable_updated", obj, event_id="evt_same").json
               for _ in range(5)]
    assert [r["duplicate"] for r in replies] == [False, True, True, True, True]
    admin = login_as("admin")
    paid_entries = admin.get(f"/api/v1/audit?subject=order:{order['id']}&action=order.paid").json["items"]
    assert len(paid_entries) == 1


def test_succeeded_before_amount_capturable_updated_ends_in_the_right_state(session, login_as, client, otc,
                                                                            stripe_gateway, localstripe_url):
    patient, pharmacist = login_as("patient"), login_as("pharmacist")
    order = checkout(patient, otc)
    intent_id = order["payment"]["payment_intent_id"]
    confirm_card(localstripe_url, intent_id)
    authorized = intent_object(stripe_gateway, intent_id)
    deliver(client, "payment_intent.amount_capturable_updated", authorized, event_id="evt_auth_1")
    pharmacist.post(f"/api/v1/orders/{order['id']}/dispense")
    captured = intent_object(stripe_gateway, intent_id)
    # Stripe retries: the newer `succeeded` arrives, then an old `amount_capturable_updated` again.
    deliver(client, "payment_intent.succeeded", captured, event_id="evt_succ_1")
    deliver(client, "payment_intent.amount_capturable_updated", authorized, event_id="evt_auth_2")
    final = patient.get(f"/api/v1/orders/{order['id']}").json
    assert (final["status"], final["payment"]["status"]) == ("dispensed", "captured")


def test_succeeded_arriving_first_still_marks_the_order_paid(login_as, client, otc, stripe_gateway, localstripe_url):
    patient = login_as("patient")
    order = checkout(patient, otc)
    intent_id = order["payment"]["payment_intent_id"]
    confirm_card(localstripe_url, intent_id)
    obj = {**intent_object(stripe_gateway, intent_id), "status": "requires_capture"}
    deliver(client, "payment_intent.succeeded", obj, event_id="evt_first")
    deliver(client, "payment_intent.amount_capturable_updated", obj, event_id="evt_second")
    shown = patient.get(f"/api/v1/orders/{order['id']}").json
    assert (shown["status"], shown["payment"]["status"]) == ("paid", "authorized")


@pytest.mark.parametrize("problem", ["bad-secret", "stale", "future", "tampered", "missing"])
def test_a_bad_or_stale_signature_is_refused_and_changes_nothing(login_as, client, otc, stripe_gateway,
                                                                 localstripe_url, problem):
    import json

    from tests.plugins.localstripe import sign_event

    patient = login_as("patient")
    order = checkout(patient, otc)
    confirm_card(localstripe_url, order["payment"]["payment_intent_id"])
    obj = intent_object(stripe_gateway, order["payment"]["payment_intent_id"])
    payload = json.dumps({"id": "evt_bad", "object": "event", "type": "payment_intent.amount_capturable_updated",
                          "data": {"object": obj}}).encode()
    now = int(time.time())
    header = {"bad-secret": sign_event(payload, "whsec_wrong"),
              "stale": sign_event(payload, "whsec_test_rxloop", timestamp=now - 301),
              "future": sign_event(payload, "whsec_test_rxloop", timestamp=now + 600),
              "tampered": sign_event(payload.replace(b"requires", b"requirez"), "whsec_test_rxloop"),
              "missing": None}[problem]
    response = client.flask.post("/api/v1/payments/stripe/webhook", data=payload,
                                 headers={"Content-Type": "application/json",
                                          **({"Stripe-Signature": header} if header else {})})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert patient.get(f"/api/v1/orders/{order['id']}").json["status"] == "pending_payment"


def test_an_unknown_event_type_is_acknowledged_and_ignored(client):
    response = deliver(client, "customer.created", {"object": "customer", "id": "cus_1"})
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}


def test_cancel_after_authorization_cancels_the_intent_and_releases_everything(session, login_as, client,
                                                                              stripe_gateway, localstripe_url):
    from consult.models import PrescriptionItem
    from tests.factories.consult import AMOXICILLIN

    product = make_product(session, AMOXICILLIN, pack_size=21, stock=5)
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    order = checkout(patient, product)
    authorize(client, stripe_gateway, localstripe_url, order)
    cancelled = patient.post(f"/api/v1/orders/{order['id']}/cancel")
    assert cancelled.json["status"] == "cancelled"
    assert stripe_gateway.retrieve_intent(order["payment"]["payment_intent_id"]).status == "canceled"
    session.expire_all()
    assert session.scalar(select(InventoryLot.reserved).where(InventoryLot.product_id == product.id)) == 0
    assert session.scalar(select(PrescriptionItem.quantity_remaining)
                          .where(PrescriptionItem.prescription_id == rx.id)) == 21


def test_an_authorization_arriving_after_expiry_is_cancelled_not_kept(session, login_as, client, otc,
                                                                      stripe_gateway, localstripe_url, time_machine):
    from datetime import timedelta

    from core.db import utcnow
    from shop import orders

    time_machine.move_to(utcnow(), tick=False)
    patient = login_as("patient")
    order = checkout(patient, otc)
    confirm_card(localstripe_url, order["payment"]["payment_intent_id"])
    late = intent_object(stripe_gateway, order["payment"]["payment_intent_id"])
    time_machine.shift(timedelta(minutes=31))
    assert orders.expire_unpaid(session=session) == 1
    deliver(client, "payment_intent.amount_capturable_updated", late)
    shown = patient.get(f"/api/v1/orders/{order['id']}").json
    assert shown["status"] == "expired" and shown["payment"]["status"] == "canceled"
    assert stripe_gateway.retrieve_intent(order["payment"]["payment_intent_id"]).status == "canceled"


def test_partial_refund_then_full_refund(session, login_as, client, otc, stripe_gateway, localstripe_url):
    patient, pharmacist, admin = login_as("patient"), login_as("pharmacist"), login_as("admin")
    order = checkout(patient, otc, 2)
    authorize(client, stripe_gateway, localstripe_url, order)
    pharmacist.post(f"/api/v1/orders/{order['id']}/dispense")
    assert admin.post(f"/api/v1/orders/{order['id']}/refund", json={"amount": 5000}).status_code == 422
    partial = admin.post(f"/api/v1/orders/{order['id']}/refund", json={"amount": 1000}).json
    assert (partial["status"], partial["payment"]["status"], partial["payment"]["amount_refunded"]) == \
        ("dispensed", "partially_refunded", 1000)
    full = admin.post(f"/api/v1/orders/{order['id']}/refund", json={}).json
    assert (full["status"], full["payment"]["status"], full["payment"]["amount_refunded"]) == \
        ("refunded", "refunded", 2400)
    # An older charge.refunded arriving late never moves the refunded amount backwards.
    deliver(client, "charge.refunded", {"object": "charge", "id": "ch_1", "amount_refunded": 1000,
                                        "amount_captured": 2400,
                                        "payment_intent": order["payment"]["payment_intent_id"]})
    shown = patient.get(f"/api/v1/orders/{order['id']}").json
    assert (shown["status"], shown["payment"]["status"], shown["payment"]["amount_refunded"]) == \
        ("refunded", "refunded", 2400)


def test_a_recalled_lot_is_never_dispensed_and_the_recall_lists_who_received_it(session, login_as, client,
                                                                               stripe_gateway, localstripe_url):
    from tests.factories.shop import add_lot

    product = make_product(session, stock=0)
    first = add_lot(session, product, 5, expiry_days=100, lot_number="EARLY")
    add_lot(session, product, 5, expiry_days=300, lot_number="LATER")
    patient, other, pharmacist = login_as("patient"), login_as("patient"), login_as("pharmacist")
    received = checkout(other, product, 1, key="pay-key-other")
    authorize(client, stripe_gateway, localstripe_url, received)
    pharmacist.post(f"/api/v1/orders/{received['id']}/dispense")
    waiting = checkout(patient, product, 2)
    authorize(client, stripe_gateway, localstripe_url, waiting)
    recall = pharmacist.post(f"/api/v1/inventory/lots/{first.id}/recall", json={"reason": "mislabelled"}).json
    assert recall["dispensed_to_patients"] == [received["patient_id"]]
    assert {o["order_id"] for o in recall["orders"]} == {received["id"], waiting["id"]}
    dispensed = pharmacist.post(f"/api/v1/orders/{waiting['id']}/dispense").json
    assert [lot["lot_number"] for lot in dispensed["items"][0]["lots"] if lot["status"] == "dispensed"] == ["LATER"]
    assert session.scalar(select(Order.flagged).where(Order.id == waiting["id"])) is True


def test_a_failed_capture_leaves_the_order_paid(login_as, client, otc, stripe_gateway, localstripe_url, app):
    patient, pharmacist = login_as("patient"), login_as("pharmacist")
    order = checkout(patient, otc)
    authorize(client, stripe_gateway, localstripe_url, order)
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # the provider is unreachable
    drop_gateway(app)
    refused = pharmacist.post(f"/api/v1/orders/{order['id']}/dispense")
    assert refused.status_code == 502
    assert refused.json["type"] == "/problems/payment-provider-error"
    shown = patient.get(f"/api/v1/orders/{order['id']}").json
    assert (shown["status"], shown["payment"]["status"]) == ("paid", "authorized")
    assert shown["items"][0]["lots"][0]["status"] == "reserved"


def test_a_capture_the_provider_refuses_for_its_state_is_a_conflict_not_a_retry(login_as, client, otc,
                                                                                stripe_gateway, localstripe_url):
    patient, pharmacist = login_as("patient"), login_as("pharmacist")
    order = checkout(patient, otc)
    authorize(client, stripe_gateway, localstripe_url, order)
    stripe_gateway.cancel(order["payment"]["payment_intent_id"], idempotency_key="outside-rxloop")
    refused = pharmacist.post(f"/api/v1/orders/{order['id']}/dispense")
    assert refused.status_code == 409 and refused.json["payment_status"] == "canceled"
    assert patient.get(f"/api/v1/orders/{order['id']}").json["status"] == "paid"
