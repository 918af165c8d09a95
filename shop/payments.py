"""Stripe: intents (authorise at checkout, capture at dispensing), refunds and signed webhooks.

The only module of rxloop that imports `stripe`. The gateway at the top speaks to the
provider and knows nothing of orders, Flask or the database; the functions below it apply
the provider's answers to orders.
"""

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow
from core.errors import DomainError

# Stripe's default (300 s): an older delivery is refused as a replay. Stripe does not bound the other
# side, so a timestamp this far in the future is refused too (a forged or held-back delivery).
WEBHOOK_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE

# Stripe's statuses from which an intent may still be cancelled (API reference, "Cancel a PaymentIntent").
CANCELLABLE = frozenset({"requires_payment_method", "requires_capture", "requires_confirmation",
                         "requires_action", "processing"})
# Stripe's codes for "the object is not in a state that allows this".
STATE_ERROR_CODES = frozenset({"payment_intent_unexpected_state", "charge_already_captured",
                               "charge_already_refunded", "amount_too_large"})


# ---- the gateway ---------------------------------------------------------------------

@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str | None
    status: str
    amount: int
    amount_capturable: int
    amount_received: int
    currency: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    """A refund at the provider (named apart from shop.models.Refund, rxloop's own record of it)."""

    id: str
    amount: int
    status: str


class PaymentDeclined(Exception):
    """The card was refused (Stripe's 402): tell the patient; another card may work."""

    def __init__(self, message: str, code: str | None = None, decline_code: str | None = None):
        super().__init__(message)
        self.message, self.code, self.decline_code = message, code, decline_code


class PaymentProviderError(Exception):
    """Stripe could not be reached, failed, throttled us or refused our configuration: retryable.

    `http_status` is None when no answer came back (refused connection, timeout)."""

    def __init__(self, message: str, *, http_status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message, self.http_status, self.code = message, http_status, code


class PaymentStateError(PaymentProviderError):
    """The intent is not in a state that allows this (capturing a cancelled intent, refunding an
    uncaptured one): retrying will not help. A subclass, so handlers of provider errors stay
    total; look for it before retrying. `intent` is the intent as it is now, when known."""

    def __init__(self, message: str, *, intent: Intent | None = None, http_status: int | None = None,
                 code: str | None = None):
        super().__init__(message, http_status=http_status, code=code)
        self.intent = intent


class WebhookSignatureError(Exception):
    """The webhook's signature is missing, wrong, too old or too far ahead, or its body is no event."""


@contextmanager
def _provider(doing: str):
    """Turn stripe's exceptions into rxloop's. Messages carry Stripe's own words (never card data:
    cards go from the browser to Stripe, not through rxloop), and never the secret key."""
    try:
        yield
    except stripe.CardError as exc:
        error = exc.json_body.get("error", {}) if isinstance(exc.json_body, dict) else {}
        raise PaymentDeclined(exc.user_message or "The card was declined.", code=exc.code,
                              decline_code=error.get("decline_code")) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise PaymentProviderError(f"Stripe refused rxloop's API key while {doing} (check STRIPE_SECRET_KEY)",
                                   http_status=exc.http_status) from exc
    except stripe.APIConnectionError as exc:
        raise PaymentProviderError(f"Stripe could not be reached while {doing}: {exc.user_message}") from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(
            f"Stripe answered {exc.http_status} ({type(exc).__name__}"
            f"{', ' + exc.code if exc.code else ''}) while {doing}: {exc.user_message or 'no message'}",
            http_status=exc.http_status, code=exc.code) from exc


def _state_error(doing: str, intent_id: str, current: Intent | None,
                 failure: PaymentProviderError) -> PaymentStateError:
    state = current.status if current else "in the wrong state"
    return PaymentStateError(f"cannot {doing} payment {intent_id}: it is {state} ({failure.message})",
                             intent=current, http_status=failure.http_status, code=failure.code)


def _intent(obj) -> Intent:
    data = obj.to_dict()
    status = data["status"]
    charge = data.get("latest_charge") if isinstance(data.get("latest_charge"), dict) else {}
    # Stripe always sends amount_capturable and amount_received; localstripe sends neither, so
    # they are derived from its (always expanded) charge. There a partial capture refunds the
    # uncaptured rest at once, so after later refunds the derived amount_received is too low.
    received = data.get("amount_received")
    if received is None:
        received = charge.get("amount", 0) - charge.get("amount_refunded", 0) if status == "succeeded" else 0
    capturable = data.get("amount_capturable")
    if capturable is None:
        capturable = data["amount"] if status == "requires_capture" else 0
    return Intent(id=data["id"], client_secret=data.get("client_secret"), status=status, amount=data["amount"],
                  amount_capturable=capturable, amount_received=received, currency=data["currency"],
                  metadata=dict(data.get("metadata") or {}))


class StripeGateway:
    """PaymentIntents with manual capture, cancels, refunds and webhook verification.

    Each gateway has its own `stripe.StripeClient`, so two configurations never share a key.
    Idempotency keys are always passed, but rxloop must not rely on them (localstripe ignores
    them): callers keep their own record of what they asked for."""

    def __init__(self, *, secret_key: str, api_base: str | None = None, webhook_secret: str | None = None,
                 timeout: float = 10, max_network_retries: int = 0, send_receipts: bool = False):
        # The timeout lives on the HTTP client: StripeClient has none of its own (requests' default is 80 s).
        self._http = stripe.RequestsClient(timeout=timeout)
        self._client = stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None,
                                           max_network_retries=max_network_retries, http_client=self._http)
        self._webhook_secret = webhook_secret
        # Stripe e-mails a receipt when an intent has receipt_email; localstripe refuses the field.
        self._send_receipts = send_receipts

    def close(self) -> None:
        """Close this thread's pooled connection (each thread that used the gateway holds one)."""
        self._http.close()

    def create_intent(self, *, amount: int, currency: str, order_id: str, idempotency_key: str,
                      customer_email: str | None = None) -> Intent:
        """Open an intent the patient's browser confirms; the money is only authorised (captured later)."""
        params = {"amount": amount, "currency": currency, "capture_method": "manual",
                  "payment_method_types": ["card"], "metadata": {"order_id": order_id}}
        if customer_email and self._send_receipts:
            params["receipt_email"] = customer_email
        with _provider("opening a payment"):
            return _intent(self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}))

    def retrieve_intent(self, intent_id: str) -> Intent:
        with _provider("reading a payment"):
            return _intent(self._client.v1.payment_intents.retrieve(intent_id))

    def capture(self, intent_id: str, *, amount: int, idempotency_key: str) -> Intent:
        """Take `amount` (at most the authorised amount) of an authorised intent; the rest is released."""
        try:
            with _provider("capturing a payment"):
                captured = _intent(self._client.v1.payment_intents.capture(
                    intent_id, params={"amount_to_capture": amount}, options={"idempotency_key": idempotency_key}))
        except PaymentProviderError as failure:
            current = self._read_after(failure, intent_id)
            if (current and current.status != "requires_capture") or failure.code in STATE_ERROR_CODES:
                raise _state_error("capture", intent_id, current, failure) from failure
            raise
        if captured.status not in ("succeeded", "processing"):
            # Stripe refuses such a capture; localstripe "captures" a cancelled intent and says canceled.
            raise PaymentStateError(f"cannot capture payment {intent_id}: it is {captured.status}", intent=captured)
        return captured

    def cancel(self, intent_id: str, *, idempotency_key: str) -> Intent:
        """Release the authorisation. Idempotent: an intent already cancelled is returned as it is."""
        try:
            with _provider("cancelling a payment"):
                return _intent(self._client.v1.payment_intents.cancel(
                    intent_id, options={"idempotency_key": idempotency_key}))
        except PaymentProviderError as failure:
            current = self._read_after(failure, intent_id)
            if current and current.status == "canceled":
                return current
            if (current and current.status not in CANCELLABLE) or failure.code in STATE_ERROR_CODES:
                raise _state_error("cancel", intent_id, current, failure) from failure
            raise

    def refund(self, intent_id: str, *, amount: int | None, idempotency_key: str) -> RefundResult:
        """Give back `amount` of a captured intent, or (None) all that is not yet refunded.
        Only captured money is refunded: an authorisation is released with `cancel`. (localstripe
        differs: None refunds the whole charge again, and over-refunds are allowed.)"""
        current = self.retrieve_intent(intent_id)
        if current.status != "succeeded":  # read first: localstripe would "refund" a cancelled authorisation
            raise PaymentStateError(f"cannot refund payment {intent_id}: it is {current.status}, nothing was captured",
                                    intent=current)
        params = {"payment_intent": intent_id}
        if amount is not None:
            params["amount"] = amount
        try:
            with _provider("refunding a payment"):
                refund = self._client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except PaymentProviderError as failure:
            if failure.code in STATE_ERROR_CODES:  # Stripe: already refunded, or more than is left
                raise _state_error("refund", intent_id, current, failure) from failure
            raise
        return RefundResult(id=refund.id, amount=refund.amount, status=refund.status)

    def _read_after(self, failure: PaymentProviderError, intent_id: str) -> Intent | None:
        """The intent as it is after Stripe refused a request about it; None when that cannot be known.
        (localstripe answers a request in the wrong state with a bare 400, or a 500.)"""
        if failure.http_status is None or failure.http_status in (401, 403, 429):
            return None  # no answer, or not about the intent: reading it would fail the same way
        try:
            return self.retrieve_intent(intent_id)
        except PaymentProviderError:
            return None

    def construct_event(self, payload: bytes, sig_header: str | None) -> dict:
        """The verified event as a plain dict. Refuses (WebhookSignatureError) a missing, wrong or
        stale signature, a timestamp more than the tolerance ahead, and a body that is no event."""
        if not self._webhook_secret:
            raise WebhookSignatureError("no webhook secret is configured")
        try:
            event = self._client.construct_event(payload, sig_header, self._webhook_secret,
                                                 tolerance=WEBHOOK_TOLERANCE_SECONDS)
            signed_at = int(next(part[2:] for part in sig_header.split(",") if part.startswith("t=")))
            data = event.to_dict()
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureError(exc.user_message or "bad signature") from None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise WebhookSignatureError(f"the body is not a Stripe event ({type(exc).__name__})") from None
        if signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookSignatureError("the signature's timestamp is in the future")
        body = data.get("data")
        if not (data.get("id") and data.get("type") and isinstance(body, dict) and isinstance(body.get("object"), dict)):
            raise WebhookSignatureError("the body is not a Stripe event (no id, type or data.object)")
        return data


# ---- the order side: what rxloop does with the gateway ------------------------------
# Order-level payment statuses follow the money (API.md): requires_payment_method →
# authorized → captured, or canceled, partially_refunded, refunded.

log = logging.getLogger("rxloop.payments")


class PaymentFailed(DomainError):
    slug = "payment-provider-error"


def enabled() -> bool:
    """Stripe is wired when a secret key is set and intents are not deferred (benchmarks)."""
    config = current_app.config
    return bool(config["STRIPE_SECRET_KEY"]) and config.get("PAYMENTS_MODE", "stripe") == "stripe"


def gateway() -> StripeGateway:
    config = current_app.config
    cached = current_app.extensions.get("rxloop.stripe")
    if cached is None:
        cached = StripeGateway(secret_key=config["STRIPE_SECRET_KEY"],
                               api_base=config["STRIPE_API_BASE"] or None,
                               webhook_secret=config["STRIPE_WEBHOOK_SECRET"] or None)
        current_app.extensions["rxloop.stripe"] = cached
    return cached


def _provider_problem(exc: Exception, doing: str) -> DomainError:
    if isinstance(exc, PaymentDeclined):
        return DomainError(f"The card was declined while {doing}: {exc.message}", slug="payment-declined",
                           decline_code=getattr(exc, "decline_code", None))
    if isinstance(exc, PaymentStateError):
        status = exc.intent.status if exc.intent else "unknown"
        return DomainError(f"The payment is {status} at the provider, which does not allow {doing}; "
                           "nothing was changed here.", slug="conflict", payment_status=status)
    log.warning("payment provider error while %s", doing)
    return PaymentFailed(f"The payment provider did not complete {doing}; nothing was changed. Try again.")


def open_intent(session: Session, order) -> None:
    """Create the PaymentIntent (authorise now, capture at dispensing) for a new order."""
    try:
        intent = gateway().create_intent(amount=order.total_amount, currency=order.currency,
                                         order_id=order.id, idempotency_key=f"{order.id}:intent")
    except (PaymentDeclined, PaymentProviderError) as exc:
        raise _provider_problem(exc, "opening the payment") from None
    order.payment_intent_id, order.payment_client_secret = intent.id, intent.client_secret
    order.payment_status = "requires_payment_method"
    audit.record(session, actor_id=None, action="payment.intent_created", subject_type="order",
                 subject_id=order.id, detail={"amount": order.total_amount})


def void(session: Session, order) -> None:
    """Cancel the authorisation (idempotent at the gateway); no money moves."""
    try:
        gateway().cancel(order.payment_intent_id, idempotency_key=f"{order.id}:cancel")
    except (PaymentDeclined, PaymentProviderError) as exc:
        raise _provider_problem(exc, "cancelling the authorisation") from None
    order.payment_status = "canceled"
    audit.record(session, actor_id=None, action="payment.authorisation_cancelled", subject_type="order",
                 subject_id=order.id, detail={})


def capture(session: Session, order, *, amount: int) -> None:
    try:
        intent = gateway().capture(order.payment_intent_id, amount=amount, idempotency_key=f"{order.id}:capture")
    except (PaymentDeclined, PaymentProviderError) as exc:
        raise _provider_problem(exc, "capturing the payment") from None
    order.amount_captured = intent.amount_received or amount
    order.payment_status = "captured"
    order.payment_error = None
    audit.record(session, actor_id=None, action="payment.captured", subject_type="order",
                 subject_id=order.id, detail={"amount": order.amount_captured})


def compensate_capture(order) -> None:
    """A capture succeeded but the dispense could not be saved: give the money back."""
    if order.payment_status != "captured":
        return
    try:
        gateway().refund(order.payment_intent_id, amount=None, idempotency_key=f"{order.id}:compensate")
    except (PaymentDeclined, PaymentProviderError):
        log.error("could not refund a capture whose dispense failed", extra={"order_id": order.id})


def refund(session: Session, order, *, amount: int, actor_id: str, reason: str | None) -> None:
    from shop.models import Refund

    n = session.query(Refund).filter_by(order_id=order.id).count()
    try:
        result = gateway().refund(order.payment_intent_id, amount=amount,
                                  idempotency_key=f"{order.id}:refund:{n + 1}:{amount}")
    except (PaymentDeclined, PaymentProviderError) as exc:
        raise _provider_problem(exc, "refunding") from None
    session.add(Refund(order_id=order.id, provider_refund_id=result.id, amount=amount, reason=reason,
                       created_by=actor_id))
    order.amount_refunded += amount
    order.payment_status = "refunded" if order.amount_refunded >= order.amount_captured else "partially_refunded"


# ---- webhooks: each event applied once, never moving an order backwards -------------

def receive_webhook(session: Session, *, payload: bytes, signature: str | None) -> dict:
    try:
        event = gateway().construct_event(payload, signature or "")
    except WebhookSignatureError:
        raise DomainError("The webhook signature is missing, wrong or stale.", slug="malformed-request") from None
    from shop.models import WebhookEvent

    record = WebhookEvent(id=event["id"], type=event["type"], outcome="received")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # Seen before (a replay, or a concurrent delivery that committed first): acknowledge, do nothing.
        return {"received": True, "duplicate": True}
    record.order_id, record.outcome = _apply(session, event)
    return {"received": True, "duplicate": False}


def _apply(session: Session, event: dict) -> tuple[str | None, str]:
    from shop import fulfilment, orders
    from shop.models import Order

    kind, obj = event["type"], event["data"]["object"]
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    order_id = (obj.get("metadata") or {}).get("order_id") if obj.get("object") == "payment_intent" else None
    if order_id is None and intent_id:
        order_id = session.scalar(select(Order.id).where(Order.payment_intent_id == intent_id))
    if order_id is None:
        return None, "ignored: no matching order"
    order = fulfilment.lock(session, order_id)
    if order is None:
        return order_id, "ignored: no matching order"
    if kind == "charge.refunded":
        refunded = int(obj.get("amount_refunded") or 0)
        if refunded > order.amount_refunded:
            order.amount_refunded = refunded
            captured = order.amount_captured or int(obj.get("amount_captured") or 0)
            order.payment_status = "refunded" if refunded >= captured else "partially_refunded"
            if refunded >= captured and orders.LIFECYCLE.allowed(order.status, "refunded"):
                orders.LIFECYCLE.advance(session, order, "refunded", closed_at=utcnow())
        return order.id, "refund recorded"
    if not kind.startswith("payment_intent."):
        return order.id, "ignored: event type not handled"
    status = obj.get("status")
    if kind == "payment_intent.payment_failed":
        if order.status == "pending_payment":
            error = obj.get("last_payment_error") or {}
            order.payment_error = (error.get("message") or "The card was declined.")[:500]
            order.payment_status = "requires_payment_method"
            return order.id, "payment failed"
        return order.id, "ignored: order already moved on"
    if kind == "payment_intent.canceled":
        if order.payment_status not in ("canceled", "captured", "refunded", "partially_refunded"):
            order.payment_status = "canceled"
        if order.status == "paid":
            orders.LIFECYCLE.advance(session, order, "cancelled", closed_at=utcnow(),
                                     cancel_reason="The payment authorisation was cancelled.")
            orders.release_holds(session, order, actor_id=None)
        return order.id, "authorisation cancelled"
    authorised = kind == "payment_intent.amount_capturable_updated" or status == "requires_capture"
    captured = kind == "payment_intent.succeeded" or status == "succeeded"
    if not (authorised or captured):
        return order.id, "ignored: nothing to apply"
    if order.status in ("expired", "cancelled"):
        # A late authorisation for an order that no longer exists: never keep the money.
        if order.payment_status != "canceled":
            void(session, order)
        return order.id, "late authorisation cancelled"
    if order.status == "pending_payment":
        orders.LIFECYCLE.advance(session, order, "paid", paid_at=utcnow())
        order.payment_status = "authorized"
        order.payment_error = None
        audit.record(session, actor_id=None, action="order.paid", subject_type="order",
                     subject_id=order.id, detail={"amount": order.total_amount})
    if captured and order.payment_status == "authorized" and int(obj.get("amount_received") or 0) > 0:
        order.payment_status = "captured"
        order.amount_captured = int(obj["amount_received"])
    return order.id, "applied"


def reconcile(session: Session) -> int:
    """The webhook-retry job: ask the provider about unpaid orders whose webhook may be lost."""
    from shop import fulfilment
    from shop.models import Order

    applied = 0
    for order_id in session.scalars(select(Order.id).where(Order.status == "pending_payment",
                                                           Order.payment_intent_id.is_not(None))):
        order = fulfilment.lock(session, order_id)
        try:
            intent = gateway().retrieve_intent(order.payment_intent_id)
        except (PaymentDeclined, PaymentProviderError):
            session.rollback()
            continue
        if intent.status == "requires_capture" and order.status == "pending_payment":
            _apply(session, {"type": "payment_intent.amount_capturable_updated",
                             "data": {"object": {"object": "payment_intent", "id": intent.id,
                                                 "status": intent.status, "metadata": {"order_id": order.id}}}})
            applied += 1
        session.commit()
    return applied
