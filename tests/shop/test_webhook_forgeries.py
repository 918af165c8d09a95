"""A signed event moves an order only when it is about that order's own PaymentIntent, for the
order's total in its currency; anything else is recorded, logged and leaves the order alone."""

import pytest
from sqlalchemy import select

from shop.models import WebhookEvent
from tests.factories.shop import ADDRESS, make_product
from tests.plugins.localstripe import confirm_card
from tests.support.webhooks import deliver, intent_object

pytestmark = pytest.mark.usefixtures("stripe_on")


@pytest.fixture
def order(session, login_as):
    product = make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)
    patient = login_as("patient")
    placed = patient.post("/api/v1/orders", headers={"Idempotency-Key": "forgery-0001"}, json={
        "items": [{"product_id": product.id, "quantity": 2}], "shipping_address": ADDRESS}).json
    return patient, placed


def outcome_of(session, event_id):
    session.expire_all()
    return session.scalar(select(WebhookEvent.outcome).where(WebhookEvent.id == event_id))


def test_an_authorization_for_less_than_the_order_total_does_not_pay_it(session, client, order, stripe_gateway,
                                                                         localstripe_url, caplog):
    patient, placed = order
    smaller = stripe_gateway.create_intent(amount=100, currency="cny", order_id=placed["id"],
                                           idempotency_key="forged-smaller")
    confirm_card(localstripe_url, smaller.id)
    forged = {**intent_object(stripe_gateway, smaller.id), "id": placed["payment"]["payment_intent_id"]}
    response = deliver(client, "payment_intent.amount_capturable_updated", forged, event_id="evt_smaller")
    assert response.status_code == 200
    assert patient.get(f"/api/v1/orders/{placed['id']}").json["status"] == "pending_payment"
    assert outcome_of(session, "evt_smaller") == "refused: amount or currency differs from the order's total"
    assert "payment event refused" in caplog.text


def test_an_authorization_in_another_currency_does_not_pay_the_order(session, client, order, stripe_gateway):
    patient, placed = order
    forged = {**intent_object(stripe_gateway, placed["payment"]["payment_intent_id"]), "currency": "usd",
              "status": "requires_capture"}
    deliver(client, "payment_intent.amount_capturable_updated", forged, event_id="evt_currency")
    assert patient.get(f"/api/v1/orders/{placed['id']}").json["status"] == "pending_payment"
    assert outcome_of(session, "evt_currency") == "refused: amount or currency differs from the order's total"


def test_an_event_for_another_intent_that_names_the_order_does_not_pay_it(session, client, order, stripe_gateway,
                                                                          localstripe_url):
    patient, placed = order
    other = stripe_gateway.create_intent(amount=2400, currency="cny", order_id=placed["id"],
                                         idempotency_key="forged-other")
    confirm_card(localstripe_url, other.id)
    response = deliver(client, "payment_intent.amount_capturable_updated", intent_object(stripe_gateway, other.id),
                       event_id="evt_other")
    assert response.status_code == 200
    assert patient.get(f"/api/v1/orders/{placed['id']}").json["status"] == "pending_payment"
    assert outcome_of(session, "evt_other") == "refused: not this order's payment intent"


def test_the_order_s_own_intent_for_its_total_pays_it(session, client, order, stripe_gateway, localstripe_url):
    patient, placed = order
    confirm_card(localstripe_url, placed["payment"]["payment_intent_id"])
    deliver(client, "payment_intent.amount_capturable_updated",
            intent_object(stripe_gateway, placed["payment"]["payment_intent_id"]), event_id="evt_own")
    assert patient.get(f"/api/v1/orders/{placed['id']}").json["status"] == "paid"
    assert outcome_of(session, "evt_own") == "applied"
