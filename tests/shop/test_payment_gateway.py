"""The Stripe gateway against a real localstripe: authorize, capture, cancel, refund, declines,
provider failures and signed webhooks. No mock of Stripe's HTTP API."""

import json
import socket
import time

import pytest

from shop.stripe_gateway import (PaymentDeclined, PaymentProviderError, PaymentStateError, StripeGateway,
                                 WebhookSignatureError)
from tests.plugins.localstripe import (DECLINED_CARD, TEST_WEBHOOK_SECRET, confirm_card, confirm_declined_card,
                                       register_webhook, sign_event)

AMOUNT = 2500  # minor units


def open_intent(gateway, order_id="ord_1", amount=AMOUNT):
    return gateway.create_intent(amount=amount, currency="cny", order_id=order_id,
                                 idempotency_key=f"{order_id}:intent")


@pytest.fixture
def authorized(stripe_gateway, localstripe_url):
    intent = open_intent(stripe_gateway)
    confirm_card(localstripe_url, intent.id)
    return intent


# ---- authorize at checkout -----------------------------------------------------------

def test_a_new_intent_waits_for_a_card_and_names_its_order(stripe_gateway):
    intent = open_intent(stripe_gateway, order_id="ord_42")
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.currency, intent.amount_capturable, intent.amount_received) == (AMOUNT, "cny", 0, 0)
    assert intent.client_secret.startswith(intent.id)
    assert intent.metadata == {"order_id": "ord_42"}
    assert stripe_gateway.retrieve_intent(intent.id) == intent


def test_a_good_card_authorizes_the_whole_amount_and_takes_nothing(stripe_gateway, authorized):
    intent = stripe_gateway.retrieve_intent(authorized.id)
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", AMOUNT, 0)


@pytest.mark.parametrize("card", [DECLINED_CARD, "pm_card_chargeCustomerFail"])
def test_a_declined_card_is_refused_and_the_intent_asks_for_another_card(stripe_gateway, localstripe_url, card):
    intent = open_intent(stripe_gateway)
    declined = confirm_declined_card(localstripe_url, intent.id, card)
    assert isinstance(declined, PaymentDeclined)
    assert (declined.code, declined.message) == ("card_declined", "Your card was declined.")
    assert stripe_gateway.retrieve_intent(intent.id).status == "requires_payment_method"


def test_a_customer_email_is_kept_from_the_provider_unless_receipts_are_on(stripe_gateway):
    # localstripe refuses receipt_email: that it accepts the intent shows the address was not sent.
    intent = stripe_gateway.create_intent(amount=AMOUNT, currency="cny", order_id="ord_1", idempotency_key="k",
                                          customer_email="patient@example.org")
    assert intent.status == "requires_payment_method"


# ---- capture at dispensing -----------------------------------------------------------

def test_capturing_the_whole_authorization_takes_it_all(stripe_gateway, authorized):
    captured = stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="ord_1:capture")
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", AMOUNT, 0)


def test_capturing_part_takes_only_that_part(stripe_gateway, authorized):
    captured = stripe_gateway.capture(authorized.id, amount=1000, idempotency_key="ord_1:capture")
    assert (captured.status, captured.amount_received) == ("succeeded", 1000)
    assert stripe_gateway.retrieve_intent(authorized.id).amount_received == 1000


def test_capturing_twice_is_a_state_error_showing_the_captured_intent(stripe_gateway, authorized):
    stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c1")
    with pytest.raises(PaymentStateError, match="it is succeeded") as refused:
        stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c2")
    assert refused.value.intent.amount_received == AMOUNT


def test_capturing_an_intent_no_card_has_authorized_is_a_state_error(stripe_gateway):
    intent = open_intent(stripe_gateway)
    with pytest.raises(PaymentStateError, match="it is requires_payment_method"):
        stripe_gateway.capture(intent.id, amount=AMOUNT, idempotency_key="c")


def test_a_state_error_is_still_a_provider_error_for_existing_handlers(stripe_gateway):
    with pytest.raises(PaymentProviderError):
        stripe_gateway.capture(open_intent(stripe_gateway).id, amount=AMOUNT, idempotency_key="c")


# ---- cancel --------------------------------------------------------------------------

def test_cancelling_an_authorization_releases_it(stripe_gateway, authorized):
    cancelled = stripe_gateway.cancel(authorized.id, idempotency_key="ord_1:cancel")
    assert (cancelled.status, cancelled.amount_capturable, cancelled.amount_received) == ("canceled", 0, 0)


def test_cancelling_twice_is_harmless(stripe_gateway, authorized):
    first = stripe_gateway.cancel(authorized.id, idempotency_key="x1")
    assert stripe_gateway.cancel(authorized.id, idempotency_key="x2") == first


def test_an_intent_never_paid_can_be_cancelled(stripe_gateway):
    assert stripe_gateway.cancel(open_intent(stripe_gateway).id, idempotency_key="x").status == "canceled"


def test_a_cancelled_authorization_cannot_be_captured(stripe_gateway, authorized):
    stripe_gateway.cancel(authorized.id, idempotency_key="x")
    with pytest.raises(PaymentStateError, match="it is canceled"):
        stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c")


def test_a_captured_payment_cannot_be_cancelled(stripe_gateway, authorized):
    stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c")
    with pytest.raises(PaymentStateError, match="it is succeeded"):
        stripe_gateway.cancel(authorized.id, idempotency_key="x")


# ---- refund --------------------------------------------------------------------------

def test_a_partial_then_a_full_refund(stripe_gateway, authorized):
    stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c")
    partial = stripe_gateway.refund(authorized.id, amount=1000, idempotency_key="ord_1:refund:1")
    rest = stripe_gateway.refund(authorized.id, amount=AMOUNT - 1000, idempotency_key="ord_1:refund:2")
    assert [(r.amount, r.status) for r in (partial, rest)] == [(1000, "succeeded"), (1500, "succeeded")]
    assert partial.id != rest.id


def test_a_refund_without_amount_gives_back_a_whole_capture(stripe_gateway, authorized):
    stripe_gateway.capture(authorized.id, amount=AMOUNT, idempotency_key="c")
    assert stripe_gateway.refund(authorized.id, amount=None, idempotency_key="r").amount == AMOUNT


def test_a_cancelled_authorization_cannot_be_refunded(stripe_gateway, authorized):
    stripe_gateway.cancel(authorized.id, idempotency_key="x")
    with pytest.raises(PaymentStateError, match="cannot refund .* it is canceled"):
        stripe_gateway.refund(authorized.id, amount=None, idempotency_key="r")


def test_an_authorization_not_yet_captured_is_cancelled_not_refunded(stripe_gateway, authorized):
    with pytest.raises(PaymentStateError, match="it is requires_capture, nothing was captured"):
        stripe_gateway.refund(authorized.id, amount=1000, idempotency_key="r")


# ---- the provider failing ------------------------------------------------------------

@pytest.fixture
def closed_port():
    """A loopback port bound but not listening: connecting is refused at once."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def silent_port():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_an_unreachable_provider_is_a_retryable_provider_error_at_once(closed_port):
    gateway = StripeGateway(secret_key="sk_test_x", api_base=f"http://127.0.0.1:{closed_port}", timeout=1)
    started = time.monotonic()
    with pytest.raises(PaymentProviderError, match="could not be reached") as failed:
        gateway.create_intent(amount=AMOUNT, currency="cny", order_id="ord_1", idempotency_key="k")
    assert time.monotonic() - started < 1
    assert failed.value.http_status is None and not isinstance(failed.value, PaymentStateError)
    gateway.close()


def test_a_provider_that_never_answers_fails_after_the_timeout(silent_port):
    gateway = StripeGateway(secret_key="sk_test_x", api_base=f"http://127.0.0.1:{silent_port}", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(PaymentProviderError, match="could not be reached"):
        gateway.retrieve_intent("pi_123")
    assert 0.25 < time.monotonic() - started < 3
    gateway.close()


def test_a_refused_key_is_a_provider_error_that_never_shows_the_key(localstripe_url):
    gateway = StripeGateway(secret_key="rk_wrong_kind_of_key_0123", api_base=localstripe_url, timeout=5)
    with pytest.raises(PaymentProviderError, match="STRIPE_SECRET_KEY") as refused:
        open_intent(gateway)
    assert refused.value.http_status == 401 and "0123" not in str(refused.value)
    gateway.close()


def test_two_gateways_keep_their_own_configuration(stripe_gateway, closed_port):
    elsewhere = StripeGateway(secret_key="sk_test_other", api_base=f"http://127.0.0.1:{closed_port}", timeout=1)
    assert open_intent(stripe_gateway).status == "requires_payment_method"
    with pytest.raises(PaymentProviderError):
        open_intent(elsewhere)
    assert open_intent(stripe_gateway).status == "requires_payment_method"
    elsewhere.close()


# ---- webhook signatures --------------------------------------------------------------

EVENT = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "created": 1,
                    "data": {"object": {"object": "payment_intent", "id": "pi_1", "metadata": {"order_id": "o"}}}},
                   ).encode()


def test_a_correctly_signed_event_is_accepted_as_a_plain_dict(stripe_gateway):
    event = stripe_gateway.construct_event(EVENT, sign_event(EVENT, TEST_WEBHOOK_SECRET))
    assert event == json.loads(EVENT) and type(event["data"]["object"]["metadata"]) is dict


def test_a_signature_a_little_old_or_a_little_ahead_is_accepted(stripe_gateway):
    for skew in (-290, 290):  # within the 300 s tolerance either way (clock drift)
        header = sign_event(EVENT, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) + skew)
        assert stripe_gateway.construct_event(EVENT, header)["id"] == "evt_1"


@pytest.mark.parametrize("payload, header", [
    (EVENT, lambda: sign_event(EVENT, "whsec_someone_else")),
    (EVENT + b" ", lambda: sign_event(EVENT, TEST_WEBHOOK_SECRET)),
    (EVENT, lambda: sign_event(EVENT, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)),
    (EVENT, lambda: sign_event(EVENT, TEST_WEBHOOK_SECRET, timestamp=int(time.time()) + 600)),
    (EVENT, lambda: "garbage"),
    (EVENT, lambda: "t=notanumber,v1=abc"),
    (EVENT, lambda: ""),
    (EVENT, lambda: None),
    (b"not json", lambda: sign_event(b"not json", TEST_WEBHOOK_SECRET)),
    (b"[1, 2]", lambda: sign_event(b"[1, 2]", TEST_WEBHOOK_SECRET)),
    (b'{"id": "evt_1"}', lambda: sign_event(b'{"id": "evt_1"}', TEST_WEBHOOK_SECRET)),
    (b"\xff\xfe", lambda: "t=1,v1=abc"),
], ids=["wrong-secret", "tampered-body", "301-seconds-old", "10-minutes-ahead", "garbage-header",
        "bad-timestamp", "empty-header", "no-header", "signed-non-json", "signed-non-object", "signed-non-event",
        "body-not-utf8"])
def test_a_bad_stale_or_future_signature_or_a_body_that_is_no_event_is_refused(stripe_gateway, payload, header):
    with pytest.raises(WebhookSignatureError):
        stripe_gateway.construct_event(payload, header())


def test_without_a_webhook_secret_every_event_is_refused(localstripe_url):
    gateway = StripeGateway(secret_key="sk_test_x", api_base=localstripe_url, webhook_secret=None)
    with pytest.raises(WebhookSignatureError, match="no webhook secret"):
        gateway.construct_event(EVENT, sign_event(EVENT, TEST_WEBHOOK_SECRET))
    gateway.close()


# ---- webhooks delivered by the provider ----------------------------------------------

def test_a_capture_is_announced_by_a_signed_payment_intent_succeeded(stripe_gateway, localstripe_url, authorized,
                                                                     webhook_inbox):
    register_webhook(localstripe_url, webhook_inbox.url, TEST_WEBHOOK_SECRET)
    stripe_gateway.capture(authorized.id, amount=1000, idempotency_key="c")
    delivery = webhook_inbox.wait_for("payment_intent.succeeded", authorized.id, timeout=10)
    event = stripe_gateway.construct_event(delivery.payload, delivery.signature)
    intent = event["data"]["object"]
    assert (intent["status"], intent["metadata"]) == ("succeeded", {"order_id": "ord_1"})


def test_a_decline_is_announced_by_a_signed_payment_intent_payment_failed(stripe_gateway, localstripe_url,
                                                                          webhook_inbox):
    register_webhook(localstripe_url, webhook_inbox.url, TEST_WEBHOOK_SECRET,
                     events=["payment_intent.payment_failed"])
    intent = open_intent(stripe_gateway)
    confirm_declined_card(localstripe_url, intent.id)
    delivery = webhook_inbox.wait_for("payment_intent.payment_failed", intent.id, timeout=10)
    event = stripe_gateway.construct_event(delivery.payload, delivery.signature)
    assert event["data"]["object"]["last_payment_error"]["code"] == "card_declined"
