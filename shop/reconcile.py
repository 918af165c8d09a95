"""Reconcile: finish or undo what a crash or a lost webhook left between rxloop and the provider.

A job, one order per unit of work. It asks the provider what became of each call and applies
the answer through shop.orders, which owns every change of an order; nothing here sets an
order's state itself.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import end_unit_of_work, utcnow
from core.errors import Conflict
from shop import orders, payments
from shop.models import Order
from shop.stripe_gateway import CANCELLABLE, Intent, PaymentStateError
from shop.events import ShopEvent

# A step younger than this may still be waiting for its answer in a live request.
STEP_GRACE = timedelta(minutes=2)
# How far back reconcile looks at the provider for intents no order keeps.
STRAY_INTENT_WINDOW = timedelta(days=2)


def reconcile(*, session: Session, now: datetime | None = None) -> dict:
    """In order:
    1. pending steps (a call whose answer was never recorded): ask the provider and apply it;
    2. unpaid orders with no intent: open one (orders past their time are left to expire);
    3. unpaid orders whose authorization webhook was lost: apply the authorization;
    4. intents no open order keeps (found by their metadata): cancel them.
    Returns how many of each it handled."""
    now = now or utcnow()
    done = {"steps": 0, "opened": 0, "authorized": 0, "stray_cancelled": 0}
    for step in payments.pending_steps(session=session, started_before=now - STEP_GRACE):
        done["steps"] += _in_own_unit(session, lambda step=step: _finish_step(session, step.id))
    for order_id in list(session.scalars(select(Order.id).where(
            Order.status == "pending_payment", Order.payment_intent_id.is_(None), Order.expires_at > now,
            Order.created_at < now - STEP_GRACE))):
        done["opened"] += _in_own_unit(session, lambda order_id=order_id: _reopen(session, order_id))
    for order_id in list(session.scalars(select(Order.id).where(
            Order.status == "pending_payment", Order.payment_intent_id.is_not(None)))):
        done["authorized"] += _in_own_unit(session, lambda order_id=order_id: _recheck_intent(session, order_id))
    intents = payments.gateway().list_intents(created_after=int((now - STRAY_INTENT_WINDOW).timestamp()))
    for intent in intents:
        done["stray_cancelled"] += _in_own_unit(session, lambda intent=intent: _cancel_if_stray(session, intent))
    return done


def _in_own_unit(session: Session, repair) -> int:
    """One repair in its own unit of work; a provider failure leaves it for the next run."""
    try:
        changed = repair()
    except (*payments.PROVIDER_ERRORS, payments.PaymentFailed, payments.CardDeclined, Conflict):
        session.rollback()
        return 0
    end_unit_of_work(session)
    return int(bool(changed))


def _finish_step(session: Session, step_id: str) -> bool:
    step = payments.lock_step(session=session, step_id=step_id)
    if step is None or step.status != "pending":
        return False
    order = orders.locked(session=session, order_id=step.order_id)
    gateway = payments.gateway()
    if step.kind == "open":
        intent = gateway.create_intent(amount=order.total_amount, currency=order.currency, order_id=order.id,
                                       idempotency_key=step.idempotency_key)
        orders.record_intent(session=session, order=order, step=step, intent=intent)
        return True
    intent = gateway.retrieve_intent(order.payment_intent_id)
    if step.kind == "capture":
        if intent.status != "succeeded":
            payments.failed(session=session, step=step, error=f"not captured: the payment is {intent.status}")
            return True
        payments.succeeded(session=session, step=step, provider_ref=intent.id)
        if order.payment_status == "authorized":  # taken, but the dispense that asked was lost
            orders.record_capture(session=session, order=order, amount=intent.amount_received or step.amount)
        return True
    if step.kind == "cancel":
        if intent.status != "canceled":
            gateway.cancel(intent.id, idempotency_key=step.idempotency_key)
        payments.succeeded(session=session, step=step)
        orders.apply_payment_event(session=session, event=_event("payment_intent.canceled", intent, order))
        return True
    # A refund whose answer was lost: ask again under its key (the provider answers the first).
    result = gateway.refund(intent.id, amount=step.amount, idempotency_key=step.idempotency_key)
    orders.record_refund(session=session, order=order, step=step, provider_refund_id=result.id, actor_id=None,
                         reason="recorded by reconcile")
    return True


def _event(kind: str, intent: Intent, order: Order) -> dict:
    return {"type": kind, "data": {"object": {"object": "payment_intent", "id": intent.id, "status": intent.status,
                                              "amount": intent.amount, "currency": intent.currency,
                                              "metadata": {"order_id": order.id}}}}


def _reopen(session: Session, order_id: str) -> bool:
    order = orders.locked(session=session, order_id=order_id)
    if order.status != "pending_payment" or order.payment_intent_id is not None:
        return False
    return orders.open_payment(session=session, order=order).payment_intent_id is not None


def _recheck_intent(session: Session, order_id: str) -> bool:
    order = orders.locked(session=session, order_id=order_id)
    if order.status != "pending_payment":
        return False
    intent = payments.gateway().retrieve_intent(order.payment_intent_id)
    if intent.status == "requires_capture":
        orders.apply_payment_event(session=session, event=_event("payment_intent.amount_capturable_updated",
                                                                 intent, order))
        return True
    if intent.status == "canceled":
        orders.apply_payment_event(session=session, event=_event("payment_intent.canceled", intent, order))
        return True
    return False


def _cancel_if_stray(session: Session, intent: Intent) -> bool:
    """An intent is stray when no open order keeps it: its order is gone or closed, or holds
    another intent. A stray authorization is cancelled, so no money is held for nothing."""
    if intent.status not in CANCELLABLE:
        return False
    order_id = intent.metadata.get("order_id")
    order = orders.lock(session=session, order_id=order_id) if order_id else None
    keeps_it = order is not None and order.payment_intent_id == intent.id
    if keeps_it and order.status in orders.OPEN:
        return False
    try:
        payments.gateway().cancel(intent.id, idempotency_key=f"{intent.id}:stray-cancel")
    except PaymentStateError:
        return False
    if keeps_it:
        orders.authorization_cancelled(session=session, order=order)
    audit.record(session=session, actor_id=None, action=ShopEvent.PAYMENT_STRAY_INTENT_CANCELLED, subject_type="order",
                 subject_id=order_id or "unknown", detail={"payment_intent_id": intent.id})
    return True
