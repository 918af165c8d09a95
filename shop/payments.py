"""rxloop's side of payments: the configured gateway, the payment steps recorded before each
call to the provider, the problems a refusal becomes, and webhook events taken once.

Nothing here changes an order: shop.orders applies what the provider answered.
"""

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import Conflict, DomainError, ValidationFailed
from shop.models import Order, PaymentStep, WebhookEvent
from shop.stripe_gateway import (
    PaymentDeclined, PaymentProviderError, PaymentStateError, StripeGateway, WebhookSignatureError,
)
from core.i18n import _

log = logging.getLogger("rxloop.payments")

# Everything the gateway raises about a call it made.
PROVIDER_ERRORS = (PaymentDeclined, PaymentProviderError)
KINDS = ("open", "capture", "cancel", "refund")


class CardDeclined(DomainError):
    slug = "payment-declined"


class PaymentFailed(DomainError):
    slug = "payment-provider-error"


class BadWebhook(DomainError):
    slug = "malformed-request"


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


def problem_for(exc: Exception, doing: str) -> DomainError:
    """What a client is told when the provider refused or failed `doing`."""
    if isinstance(exc, PaymentDeclined):
        return CardDeclined(f"The card was declined while {doing}: {exc.message}",
                            decline_code=exc.decline_code)
    if isinstance(exc, PaymentStateError):
        status = exc.intent.status if exc.intent else "unknown"
        return Conflict(f"The payment is {status} at the provider, which does not allow {doing}; "
                        "nothing was changed here.", payment_status=status)
    log.warning("payment provider error while %s", doing)
    return PaymentFailed(f"The payment provider did not complete {doing}; nothing was changed. Try again.")


# ---- steps: each call recorded before it is made --------------------------------------

def begin(*, session: Session, order: Order, kind: str, amount: int | None = None) -> PaymentStep:
    """The pending step for this call, new or (after a crash) the one left pending.

    A pending step keeps its idempotency key, so asking again can only get the first answer;
    after a failed one the next attempt has a key of its own (the provider remembers errors
    under a key too)."""
    if kind not in KINDS:
        raise ValueError(f"unknown payment step {kind!r}")
    steps = list(session.scalars(select(PaymentStep).where(PaymentStep.order_id == order.id,
                                                           PaymentStep.kind == kind)))
    for step in steps:
        if step.status == "pending" and (kind != "refund" or step.amount == amount):
            return step
    attempt = len(steps) + 1
    step = PaymentStep(order_id=order.id, kind=kind, amount=amount, status="pending",
                       idempotency_key=f"{order.id}:{kind}:{attempt}")
    session.add(step)
    session.flush()
    return step


def succeeded(*, session: Session, step: PaymentStep, provider_ref: str | None = None) -> None:
    step.status, step.completed_at, step.error = "succeeded", utcnow(), None
    if provider_ref:
        step.provider_ref = provider_ref
    session.flush()


def failed(*, session: Session, step: PaymentStep, error: Exception | str) -> None:
    message = error if isinstance(error, str) else getattr(error, "message", type(error).__name__)
    step.status, step.completed_at, step.error = "failed", utcnow(), message[:500]
    session.flush()


def pending_steps(*, session: Session, started_before) -> list[PaymentStep]:
    """Steps whose answer was never recorded, oldest first (for the reconcile job)."""
    return list(session.scalars(select(PaymentStep).where(PaymentStep.status == "pending",
                                                          PaymentStep.created_at < started_before)
                                .order_by(PaymentStep.created_at)))


def lock_step(*, session: Session, step_id: str) -> PaymentStep:
    return session.scalar(select(PaymentStep).where(PaymentStep.id == step_id).with_for_update()
                          .execution_options(populate_existing=True))


# ---- webhooks ------------------------------------------------------------------------

def verify_webhook(*, payload: bytes, signature: str | None) -> dict:
    try:
        return gateway().construct_event(payload, signature or "")
    except WebhookSignatureError:
        raise BadWebhook(_("The webhook signature is missing, wrong or stale.")) from None


def first_delivery(*, session: Session, event: dict) -> WebhookEvent | None:
    """Record the event; None when it was seen before (a replay, or a concurrent delivery that
    committed first). The primary key decides, in the same transaction as the event's effect."""
    record = WebhookEvent(id=event["id"], type=event["type"], outcome="received")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    return record


def refundable(order: Order, amount: int | None) -> int:
    """The amount a refund of `amount` (None: all that is left) may give back, or refuse."""
    left = order.amount_captured - order.amount_refunded
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise ValidationFailed(_("At most %(left)s can be refunded.", left=left),
                               errors={"amount": [_("Must be between 1 and %(left)s.", left=left)]})
    return amount
