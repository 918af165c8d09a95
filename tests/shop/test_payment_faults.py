"""Checkout and dispensing under faults. Whichever step boundary a crash interrupts — before or
after each commit, before or after each call to the payment provider, a dropped connection at
the last commit — one reconcile run leaves 0 orders without a payment decision, 0 live
intents that no open order keeps, and 0 stock held by a dead order."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import core.app
from core.db import utcnow
from shop import orders, reconcile
from shop.models import InventoryLot, LotAllocation, Order, OrderLine, PaymentStep
from shop.stripe_gateway import CANCELLABLE, PaymentProviderError
from tests.factories.shop import ADDRESS, make_product
from tests.plugins.localstripe import confirm_card
from tests.support.webhooks import deliver, intent_object

pytestmark = pytest.mark.usefixtures("stripe_on")


class Crash(Exception):
    """The process died here."""


class FaultyGateway:
    """The real gateway, with one call made to fail before or after it reaches the provider."""

    def __init__(self, real, method: str, when: str, error: Exception):
        self._real, self._method, self._when, self._error = real, method, when, error

    def __getattr__(self, name):
        call = getattr(self._real, name)
        if name != self._method:
            return call

        def faulty(*args, **kwargs):
            if self._when == "before":
                raise self._error
            call(*args, **kwargs)
            raise self._error

        return faulty


@pytest.fixture
def otc(session):
    return make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)


@pytest.fixture
def inject(app, monkeypatch):
    """inject(kind, ...) arms one fault for the next request."""

    def arm(kind: str, *, method: str | None = None, when: str = "before", call_number: int = 1,
            error: Exception | None = None):
        error = error or Crash(kind)
        if kind == "gateway":
            app.extensions["rxloop.stripe"] = FaultyGateway(orders.payments.gateway(), method, when, error)
        elif kind == "unit":  # the n-th end_unit_of_work of the use case
            real, calls = orders.end_unit_of_work, []

            def crash_at_boundary(session):
                calls.append(1)
                if len(calls) == call_number and when == "before":
                    raise error
                real(session)
                if len(calls) == call_number and when == "after":
                    raise error

            monkeypatch.setattr(orders, "end_unit_of_work", crash_at_boundary)
        elif kind == "last-commit":  # the connection drops as the request commits
            real_finish = core.app.finish_request_session

            def drop(success):
                if success:
                    real_finish(success=False)
                    raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
                real_finish(success=success)

            monkeypatch.setattr(core.app, "finish_request_session", drop)

    def heal():
        """The fault passes (the process restarts, the network comes back)."""
        monkeypatch.undo()
        installed = app.extensions.get("rxloop.stripe")
        if isinstance(installed, FaultyGateway):
            app.extensions["rxloop.stripe"] = installed._real

    arm.heal = heal
    yield arm
    heal()


def checkout(patient, product, key="fault-key-1"):
    return patient.post("/api/v1/orders", headers={"Idempotency-Key": key}, json={
        "items": [{"product_id": product.id, "quantity": 2}], "shipping_address": ADDRESS})


def reconcile_once(session):
    return reconcile.reconcile(session=session, now=utcnow() + timedelta(minutes=5))


def assert_the_loop_is_closed(session, gateway):
    session.expire_all()
    every_order = list(session.scalars(select(Order)))
    undecided = [o.id for o in every_order if o.status not in orders.CLOSED and o.payment_intent_id is None]
    assert undecided == [], "orders without a payment decision"
    assert session.scalar(select(func.count()).select_from(PaymentStep).where(PaymentStep.status == "pending")) == 0
    kept = {o.payment_intent_id for o in every_order if o.status in orders.OPEN}
    live_strays = [i.id for i in gateway.list_intents(created_after=0)
                   if i.status in CANCELLABLE and i.id not in kept]
    assert live_strays == [], "intents no open order keeps are still live"
    dead_holds = session.scalar(
        select(func.coalesce(func.sum(LotAllocation.quantity), 0))
        .join(OrderLine, OrderLine.id == LotAllocation.order_line_id).join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.in_(orders.CLOSED), LotAllocation.status == "reserved"))
    assert dead_holds == 0, "stock held by a dead order"
    for lot in session.scalars(select(InventoryLot)):
        held = session.scalar(select(func.coalesce(func.sum(LotAllocation.quantity), 0))
                              .where(LotAllocation.lot_id == lot.id, LotAllocation.status == "reserved"))
        assert lot.reserved == held


CHECKOUT_FAULTS = {
    "crash before the order's unit commits": dict(kind="unit", when="before"),
    "crash after the order's unit commits": dict(kind="unit", when="after"),
    "crash before the provider is asked": dict(kind="gateway", method="create_intent", when="before"),
    "the provider cannot be reached": dict(kind="gateway", method="create_intent", when="before",
                                           error=PaymentProviderError("connection refused")),
    "crash after the provider opened the intent": dict(kind="gateway", method="create_intent", when="after"),
    "the connection drops at the last commit": dict(kind="last-commit"),
}


@pytest.mark.parametrize("fault", CHECKOUT_FAULTS.values(), ids=CHECKOUT_FAULTS.keys())
def test_a_checkout_interrupted_anywhere_is_finished_or_undone_by_one_reconcile(
        session, login_as, otc, stripe_gateway, inject, fault):
    patient = login_as("patient")
    inject(**fault)
    checkout(patient, otc)
    inject.heal()
    reconcile_once(session)
    assert_the_loop_is_closed(session, stripe_gateway)


@pytest.mark.parametrize("fault", [f for f in CHECKOUT_FAULTS.values() if f.get("when") != "before"
                                   or f["kind"] == "gateway"],
                         ids=[k for k, f in CHECKOUT_FAULTS.items() if f.get("when") != "before"
                              or f["kind"] == "gateway"])
def test_an_order_saved_before_the_fault_is_never_reported_as_nothing_saved(login_as, otc, inject, fault):
    patient = login_as("patient")
    inject(**fault)
    response = checkout(patient, otc)
    assert "nothing was saved" not in response.json.get("detail", "")
    inject.heal()
    again = checkout(patient, otc)  # the client repeats the request with the same key
    assert again.status_code == 200
    assert again.json["status"] == "pending_payment"


def test_an_unreachable_provider_at_checkout_gives_the_order_with_its_payment_not_yet_open(login_as, otc, inject):
    patient = login_as("patient")
    inject("gateway", method="create_intent", error=PaymentProviderError("connection refused"))
    response = checkout(patient, otc)
    assert response.status_code == 201
    assert response.json["payment"]["payment_intent_id"] is None
    assert response.json["payment"]["error"].startswith("The payment could not be opened yet")


def test_repeating_the_request_opens_the_payment_the_provider_could_not(login_as, otc, inject):
    patient = login_as("patient")
    inject("gateway", method="create_intent", error=PaymentProviderError("connection refused"))
    first = checkout(patient, otc)
    inject.heal()  # the provider is back
    again = checkout(patient, otc)
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])
    assert again.json["payment"]["client_secret"] and again.json["payment"]["error"] is None


def test_a_stray_intent_of_a_closed_order_is_cancelled(session, login_as, otc, stripe_gateway):
    patient = login_as("patient")
    order = checkout(patient, otc).json
    assert patient.post(f"/api/v1/orders/{order['id']}/cancel", json={}).status_code == 200
    stray = stripe_gateway.create_intent(amount=2400, currency="cny", order_id=order["id"],
                                         idempotency_key="made-twice")
    assert reconcile_once(session)["stray_cancelled"] == 1
    assert stripe_gateway.retrieve_intent(stray.id).status == "canceled"


def test_an_intent_whose_order_was_never_saved_is_cancelled(session, stripe_gateway):
    stray = stripe_gateway.create_intent(amount=2400, currency="cny", order_id="ord-never-saved",
                                         idempotency_key="orphan")
    assert reconcile_once(session)["stray_cancelled"] == 1
    assert stripe_gateway.retrieve_intent(stray.id).status == "canceled"


def test_the_intent_an_open_order_keeps_is_never_cancelled(session, login_as, otc, stripe_gateway):
    order = checkout(login_as("patient"), otc).json
    assert reconcile_once(session)["stray_cancelled"] == 0
    assert stripe_gateway.retrieve_intent(order["payment"]["payment_intent_id"]).status == "requires_payment_method"


# ---- dispensing ----------------------------------------------------------------------

@pytest.fixture
def paid_order(session, login_as, client, otc, stripe_gateway, localstripe_url):
    order = checkout(login_as("patient"), otc).json
    confirm_card(localstripe_url, order["payment"]["payment_intent_id"])
    deliver(client, "payment_intent.amount_capturable_updated",
            intent_object(stripe_gateway, order["payment"]["payment_intent_id"]))
    return order


DISPENSE_FAULTS = {
    "crash before the checks' unit commits": dict(kind="unit", when="before"),
    "crash after the capture step is recorded": dict(kind="unit", when="after"),
    "crash before the provider is asked to capture": dict(kind="gateway", method="capture", when="before"),
    "crash after the provider captured": dict(kind="gateway", method="capture", when="after"),
    "the connection drops at the last commit": dict(kind="last-commit"),
}
CAPTURED_AT_THE_PROVIDER = {"crash after the provider captured", "the connection drops at the last commit"}


@pytest.mark.parametrize("name", DISPENSE_FAULTS)
def test_a_dispense_interrupted_anywhere_leaves_the_payment_decided_and_agreeing_with_the_provider(
        session, login_as, paid_order, stripe_gateway, inject, name):
    pharmacist = login_as("pharmacist")
    inject(**DISPENSE_FAULTS[name])
    assert pharmacist.post(f"/api/v1/orders/{paid_order['id']}/dispense").status_code == 500 + (
        name == "the connection drops at the last commit") * 3
    inject.heal()
    reconcile_once(session)
    assert_the_loop_is_closed(session, stripe_gateway)
    order = session.get(Order, paid_order["id"])
    provider = stripe_gateway.retrieve_intent(order.payment_intent_id)
    expected = ("succeeded", "captured") if name in CAPTURED_AT_THE_PROVIDER else ("requires_capture", "authorized")
    assert (provider.status, order.payment_status, order.status) == (*expected, "paid")


@pytest.mark.parametrize("name", sorted(CAPTURED_AT_THE_PROVIDER))
def test_the_dispense_repeated_after_a_lost_capture_takes_the_money_once(session, login_as, paid_order,
                                                                         stripe_gateway, inject, name):
    pharmacist = login_as("pharmacist")
    inject(**DISPENSE_FAULTS[name])
    pharmacist.post(f"/api/v1/orders/{paid_order['id']}/dispense")
    inject.heal()
    reconcile_once(session)
    again = pharmacist.post(f"/api/v1/orders/{paid_order['id']}/dispense")
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["payment"]["amount_captured"]) == ("dispensed", 2400)
    assert stripe_gateway.retrieve_intent(paid_order["payment"]["payment_intent_id"]).amount_received == 2400
