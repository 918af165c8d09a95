"""Webhooks delivered concurrently apply once; two pharmacists dispensing one order make one dispense."""

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from shop.models import Order, WebhookEvent
from tests.factories.identity import make_user
from tests.factories.shop import ADDRESS, make_product
from tests.plugins.localstripe import confirm_card
from tests.races.conftest import race
from tests.support.webhooks import deliver, intent_object
from tests.support.api import ApiClient

pytestmark = [pytest.mark.races, pytest.mark.postgres_only, pytest.mark.usefixtures("stripe_on")]


def paid_order(app, committed, stripe_gateway, localstripe_url, authorize=True):
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, stock=10)
        patient, _ = make_user(session, role="patient")
        from shop import orders

        order, _, _ = orders.checkout(session=session, user=patient, idempotency_key="race-pay-1",
                                    body={"items": [{"product_id": product.id, "quantity": 1}],
                                          "shipping_address": ADDRESS})
        session.commit()
        order_id, intent_id = order.id, order.payment_intent_id
    confirm_card(localstripe_url, intent_id)
    obj = intent_object(stripe_gateway, intent_id)
    if authorize:
        deliver(ApiClient(app.test_client()), "payment_intent.amount_capturable_updated", obj, event_id="evt_pre")
    return order_id, obj


def test_the_same_webhook_from_eight_threads_is_applied_once(app, committed, stripe_gateway, localstripe_url):
    order_id, obj = paid_order(app, committed, stripe_gateway, localstripe_url, authorize=False)

    def send(i):
        return deliver(ApiClient(app.test_client()), "payment_intent.amount_capturable_updated", obj,
                       event_id="evt_race").status_code

    assert race(8, send) == [200] * 8
    with committed.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)
                              .where(WebhookEvent.id == "evt_race")) == 1
        assert session.scalar(select(Order.status).where(Order.id == order_id)) == "paid"
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.subject_id == order_id, AuditEntry.action == "order.paid")) == 1


def test_two_pharmacists_dispensing_one_order_make_one_dispense(app, committed, stripe_gateway, localstripe_url):
    order_id, _ = paid_order(app, committed, stripe_gateway, localstripe_url)
    with app.app_context(), committed.sessionmaker() as session:
        tokens = [make_user(session, role="pharmacist")[1] for _ in range(2)]

    def dispense(i):
        return app.test_client().post(f"/api/v1/orders/{order_id}/dispense",
                                      headers={"Authorization": f"Bearer {tokens[i]}"}).status_code

    assert sorted(race(2, dispense)) == [200, 409]
    with committed.sessionmaker() as session:
        assert session.scalar(select(Order.amount_captured).where(Order.id == order_id)) == 1200
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.subject_id == order_id, AuditEntry.action == "order.dispensed")) == 1
