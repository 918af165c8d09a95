"""The Stripe gateway: PaymentIntents with manual capture, cancels, refunds, signed webhooks.

The only module of rxloop that imports `stripe`. It knows Stripe and nothing of orders, Flask
or the database: rxloop's side of a payment lives in shop.payments and shop.orders.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import stripe

from core.i18n import _

# Stripe's default (300 s): an older delivery is refused as a replay. Stripe does not bound the other
# side, so a timestamp this far in the future is refused too (a forged or held-back delivery).
WEBHOOK_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE

# Stripe's statuses from which an intent may still be cancelled (API reference, "Cancel a PaymentIntent").
CANCELLABLE = frozenset({"requires_payment_method", "requires_capture", "requires_confirmation",
                         "requires_action", "processing"})
# Stripe's codes for "the object is not in a state that allows this".
STATE_ERROR_CODES = frozenset({"payment_intent_unexpected_state", "charge_already_captured",
                               "charge_already_refunded", "amount_too_large"})


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
        raise PaymentDeclined(exc.user_message or _("The card was declined."), code=exc.code,
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


def intent_from(data: dict) -> Intent:
    """An Intent from Stripe's payment_intent object (as a plain dict)."""
    return Intent(id=data["id"], client_secret=data.get("client_secret"), status=data["status"],
                  amount=data["amount"], amount_capturable=data.get("amount_capturable") or 0,
                  amount_received=data.get("amount_received") or 0, currency=data["currency"],
                  metadata=dict(data.get("metadata") or {}))


class StripeGateway:
    """PaymentIntents with manual capture, cancels, refunds and webhook verification.

    Each gateway has its own `stripe.StripeClient`, so two configurations never share a key.
    Idempotency keys are always passed; callers still keep their own record of what they asked
    for (shop.payments' steps), so a lost answer can be looked up rather than guessed."""

    def __init__(self, *, secret_key: str, api_base: str | None = None, webhook_secret: str | None = None,
                 timeout: float = 10, max_network_retries: int = 0, send_receipts: bool = False):
        # The timeout lives on the HTTP client: StripeClient has none of its own (requests' default is 80 s).
        self._http = stripe.RequestsClient(timeout=timeout)
        self._client = stripe.StripeClient(secret_key, base_addresses={"api": api_base} if api_base else None,
                                           max_network_retries=max_network_retries, http_client=self._http)
        self._webhook_secret = webhook_secret
        # Stripe e-mails a receipt when an intent has receipt_email.
        self._send_receipts = send_receipts

    def _intent(self, obj) -> Intent:
        return intent_from(obj.to_dict())

    def close(self) -> None:
        """Close this thread's pooled connection (each thread that used the gateway holds one)."""
        self._http.close()

    def create_intent(self, *, amount: int, currency: str, order_id: str, idempotency_key: str,
                      customer_email: str | None = None) -> Intent:
        """Open an intent the patient's browser confirms; the money is only authorized (captured later)."""
        params = {"amount": amount, "currency": currency, "capture_method": "manual",
                  "payment_method_types": ["card"], "metadata": {"order_id": order_id}}
        if customer_email and self._send_receipts:
            params["receipt_email"] = customer_email
        with _provider("opening a payment"):
            return self._intent(self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}))

    def retrieve_intent(self, intent_id: str) -> Intent:
        with _provider("reading a payment"):
            return self._intent(self._client.v1.payment_intents.retrieve(intent_id))

    def list_intents(self, *, created_after: int, limit: int = 1000) -> list[Intent]:
        """Intents created at or after `created_after` (a Unix time), newest first, at most `limit`."""
        found = []
        with _provider("listing payments"):
            page = self._client.v1.payment_intents.list(params={"created": {"gte": created_after}, "limit": 100})
            for obj in page.auto_paging_iter():
                found.append(self._intent(obj))
                if len(found) >= limit:
                    break
        return found

    def capture(self, intent_id: str, *, amount: int, idempotency_key: str) -> Intent:
        """Take `amount` (at most the authorized amount) of an authorized intent; the rest is released."""
        try:
            with _provider("capturing a payment"):
                captured = self._intent(self._client.v1.payment_intents.capture(
                    intent_id, params={"amount_to_capture": amount}, options={"idempotency_key": idempotency_key}))
        except PaymentProviderError as failure:
            current = self._read_after(failure, intent_id)
            if (current and current.status != "requires_capture") or failure.code in STATE_ERROR_CODES:
                raise _state_error("capture", intent_id, current, failure) from failure
            raise
        if captured.status not in ("succeeded", "processing"):  # a capture that took nothing is no capture
            raise PaymentStateError(f"cannot capture payment {intent_id}: it is {captured.status}", intent=captured)
        return captured

    def cancel(self, intent_id: str, *, idempotency_key: str) -> Intent:
        """Release the authorization. Idempotent: an intent already cancelled is returned as it is."""
        try:
            with _provider("cancelling a payment"):
                return self._intent(self._client.v1.payment_intents.cancel(
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
        Only captured money is refunded: an authorization is released with `cancel`."""
        current = self.retrieve_intent(intent_id)
        if current.status != "succeeded":  # read first: never ask to refund what was never taken
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
        """The intent as it is after Stripe refused a request about it; None when that cannot be known."""
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
