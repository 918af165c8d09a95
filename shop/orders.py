"""Orders: every change of an order's state, in one place.

The use cases — checkout, cancel, expire, dispense, ship, deliver, refund, recall, apply a payment
event — and nothing else move an order (shop.reconcile repairs orders through them). Those that
call the payment provider do it in named units of work: the call is recorded as a pending
payment step and committed before it is made (`end_unit_of_work`), and its answer applied in
the next unit. A crash between two units leaves a pending step, which shop.reconcile finishes
or undoes. No stock or prescription row is locked across a call to the provider.
"""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import dispensing
from core import audit
from core.db import closing_time, end_unit_of_work, utcnow
from core.errors import Conflict, NotFound
from core.identity.models import User
from core.states import StateMachine
from shop import inventory, order_creation, order_queries, payments
from shop.models import LotAllocation, Order, OrderLine, PaymentStep, Refund
from shop.stripe_gateway import Intent
from shop.events import ShopEvent
from core.i18n import _

LIFECYCLE = StateMachine("order", {
    "pending_payment": {"paid", "cancelled", "expired"},
    "paid": {"dispensed", "cancelled", "refunded"},
    "dispensed": {"shipped", "refunded"},
    "shipped": {"delivered", "refunded"},
    "delivered": {"refunded"},
    "cancelled": set(), "expired": set(), "refunded": set(),
})
log = logging.getLogger("rxloop.orders")

OPEN = ("pending_payment", "paid")
CLOSED = ("cancelled", "expired", "refunded")


def lock(*, session: Session, order_id: str) -> Order | None:
    """The order's own row, locked for its transition (SELECT … FOR UPDATE on PostgreSQL)."""
    return session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                          .execution_options(populate_existing=True))


def locked(*, session: Session, order_id: str) -> Order:
    order = lock(session=session, order_id=order_id)
    if order is None:
        raise NotFound(_("No such order."))
    return order


def _close(session: Session, order: Order, target: str, *, actor_id: str | None, **values) -> None:
    """Move an open order to cancelled, expired or refunded and give back what it holds."""
    LIFECYCLE.advance(session, order, target, closed_at=closing_time(order), **values)
    _release_holds(session, order, actor_id=actor_id)


def _release_holds(session: Session, order: Order, *, actor_id: str | None) -> None:
    """Return reserved lots and prescription units. Each release is conditional: exactly once."""
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    for allocation in session.scalars(select(LotAllocation).where(
            LotAllocation.order_line_id.in_([line.id for line in lines]), LotAllocation.status == "reserved")):
        inventory.release(session=session, allocation=allocation)
    for line in lines:
        if line.prescription_use_id:
            dispensing.release(session=session, use_id=line.prescription_use_id, actor_id=actor_id)


# ---- placing an order ----------------------------------------------------------------

def checkout(*, session: Session, user: User, idempotency_key: str, body: dict) -> order_creation.Placed:
    """Checkout, in three units of work when payments are on:
    1. the order, its prescription units and stock held, and the `open` step (committed);
    2. the PaymentIntent opened at the provider under that step's idempotency key;
    3. the intent recorded on the order (committed with the request).
    If the provider fails, the order stands and says so (its payment error); repeating the
    request with the same key, or the reconcile job, opens the payment."""
    placed = order_creation.create(session=session, user=user, idempotency_key=idempotency_key, body=body)
    if placed.order.status == "pending_payment" and placed.order.payment_intent_id is None and payments.enabled():
        placed = placed._replace(order=open_payment(session=session, order=placed.order))
    return placed


def open_payment(*, session: Session, order: Order) -> Order:
    step = payments.begin(session=session, order=order, kind="open", amount=order.total_amount)
    end_unit_of_work(session)
    try:
        intent = payments.gateway().create_intent(amount=order.total_amount, currency=order.currency,
                                                  order_id=order.id, idempotency_key=step.idempotency_key)
    except payments.PROVIDER_ERRORS as exc:
        order = locked(session=session, order_id=order.id)
        payments.failed(session=session, step=step, error=exc)
        if order.payment_intent_id is None:
            order.payment_error = "The payment could not be opened yet; it will be retried. Try again shortly."
        return order
    order = locked(session=session, order_id=order.id)
    record_intent(session=session, order=order, step=step, intent=intent)
    return order


def record_intent(*, session: Session, order: Order, step: PaymentStep, intent: Intent) -> None:
    payments.succeeded(session=session, step=step, provider_ref=intent.id)
    if order.status != "pending_payment" or order.payment_intent_id is not None:
        return  # the order moved on or has its intent: reconcile cancels this stray one
    order.payment_intent_id, order.payment_client_secret = intent.id, intent.client_secret
    order.payment_status, order.payment_error = "requires_payment_method", None
    audit.record(session=session, actor_id=None, action=ShopEvent.PAYMENT_INTENT_CREATED, subject_type="order",
                 subject_id=order.id, detail={"amount": order.total_amount})


# ---- cancelling and expiring ---------------------------------------------------------

def cancel(*, session: Session, user: User, order_id: str, reason: str | None) -> Order:
    """Cancel an order not yet dispensed (by its patient or staff; after dispensing an order can
    only be refunded). An authorization is cancelled at the provider first, a capture refunded,
    each as its own recorded step."""
    order = locked(session=session, order_id=order_queries.get(session=session, user=user, order_id=order_id).id)
    LIFECYCLE.check(order.status, "cancelled")
    order = _give_money_back(session, order, doing="cancelling the order")
    _close(session, order, "cancelled", actor_id=user.id, cancel_reason=reason)
    audit.record(session=session, actor_id=user.id, action=ShopEvent.ORDER_CANCELLED, subject_type="order",
                 subject_id=order.id, detail={"by": user.role})
    return order


def _give_money_back(session: Session, order: Order, *, doing: str) -> Order:
    """Release an authorization or refund a capture, whichever the order holds; returns the
    order locked again once the provider has answered."""
    if order.payment_intent_id and order.payment_status in ("requires_payment_method", "authorized"):
        return _cancel_authorization(session, order, doing=doing)
    if order.payment_status in ("captured", "partially_refunded"):
        return _refund(session, order, amount=None, actor_id=None, reason=doing, doing=doing)
    return order


def _cancel_authorization(session: Session, order: Order, *, doing: str) -> Order:
    """Two units of work: the `cancel` step committed, then the provider's answer applied."""
    step = payments.begin(session=session, order=order, kind="cancel")
    end_unit_of_work(session)
    _ask_provider(session, step, doing, lambda key: payments.gateway().cancel(order.payment_intent_id,
                                                                              idempotency_key=key))
    order = locked(session=session, order_id=order.id)
    payments.succeeded(session=session, step=step)
    authorization_cancelled(session=session, order=order)
    return order


def _ask_provider(session: Session, step: PaymentStep, doing: str, call):
    """Make the call a recorded step stands for, under its idempotency key. If the provider
    refuses, the step says so (in a unit of work of its own) and the client is told why."""
    try:
        return call(step.idempotency_key)
    except payments.PROVIDER_ERRORS as exc:
        _record_failure(session, step, exc)
        raise payments.problem_for(exc, doing) from None


def _record_failure(session: Session, step: PaymentStep, exc: Exception) -> None:
    """The provider refused: say so on the step, in a unit of work of its own (the request that
    made the call is about to be refused and rolled back)."""
    session.rollback()
    payments.failed(session=session, step=session.get(PaymentStep, step.id), error=exc)
    end_unit_of_work(session)


def authorization_cancelled(*, session: Session, order: Order) -> None:
    if order.payment_status not in ("canceled", "captured", "refunded", "partially_refunded"):
        order.payment_status = "canceled"
        audit.record(session=session, actor_id=None, action=ShopEvent.PAYMENT_AUTHORIZATION_CANCELLED,
                     subject_type="order",
                     subject_id=order.id, detail={})


def expire_unpaid(*, session: Session, now: datetime | None = None) -> int:
    """The expiry job, one order per unit of work: lock it, cancel any authorization that slipped
    in, then expire it and give back what it held. A late payment webhook takes the same row
    lock, so an order is never both expired and paid."""
    now = now or utcnow()
    expired = 0
    for order_id in list(session.scalars(select(Order.id).where(
            Order.status == "pending_payment", Order.expires_at <= now).order_by(Order.expires_at))):
        order = lock(session=session, order_id=order_id)
        if order.status == "pending_payment" and order.expires_at <= now:
            try:
                order = _give_money_back(session, order, doing="expiring the order")
            except (payments.PaymentFailed, Conflict):
                continue  # the provider is away: the next run tries again
            _close(session, order, "expired", actor_id=None)
            audit.record(session=session, actor_id=None, action=ShopEvent.ORDER_EXPIRED, subject_type="order",
                         subject_id=order.id, detail={})
            expired += 1
        end_unit_of_work(session)
    return expired


# ---- dispensing, shipping, delivering ------------------------------------------------

def dispense(*, session: Session, pharmacist: User, order_id: str) -> Order:
    """Dispense a paid order, in two units of work:
    1. re-check safety, swap packs held on lots no longer eligible, record the `capture` step;
    2. record the prescription units dispensed, capture the payment, take the packs off the
       shelf (recording their lots per line) and mark the order dispensed.
    Nothing of the second unit stands if any part refuses; the lot rows are touched only after
    the provider has answered. A capture whose unit was lost is found by reconcile."""
    order = locked(session=session, order_id=order_id)
    LIFECYCLE.check(order.status, "dispensed")
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.position)))
    for prescription_id in sorted({line.prescription_id for line in lines if line.prescription_id}):
        dispensing.ensure_safe_to_dispense(session=session, prescription_id=prescription_id)
    inventory.swap_ineligible(session=session, lines=lines)
    step = None
    if order.payment_status == "authorized":
        step = payments.begin(session=session, order=order, kind="capture", amount=order.total_amount)
    end_unit_of_work(session)

    order = locked(session=session, order_id=order_id)
    LIFECYCLE.check(order.status, "dispensed")
    now = utcnow()
    for line in lines:
        if line.prescription_use_id:
            dispensing.record_dispense(session=session, use_id=line.prescription_use_id,
                                       pharmacist_id=pharmacist.id, now=now)
    if step is not None and order.payment_status == "authorized":
        intent = _ask_provider(session, step, "capturing the payment", lambda key: payments.gateway().capture(
            order.payment_intent_id, amount=order.total_amount, idempotency_key=key))
        payments.succeeded(session=session, step=step, provider_ref=intent.id)
        record_capture(session=session, order=order, amount=intent.amount_received or order.total_amount)
    for allocation in session.scalars(select(LotAllocation).where(
            LotAllocation.order_line_id.in_([line.id for line in lines]), LotAllocation.status == "reserved")):
        inventory.dispense(session=session, allocation=allocation)
    LIFECYCLE.advance(session, order, "dispensed", dispensed_at=now, dispensed_by=pharmacist.id)
    audit.record(session=session, actor_id=pharmacist.id, action=ShopEvent.ORDER_DISPENSED, subject_type="order",
                 subject_id=order.id, detail={"lines": len(lines), "captured": order.amount_captured})
    return order


def record_capture(*, session: Session, order: Order, amount: int) -> None:
    order.amount_captured, order.payment_status, order.payment_error = amount, "captured", None
    audit.record(session=session, actor_id=None, action=ShopEvent.PAYMENT_CAPTURED, subject_type="order",
                 subject_id=order.id, detail={"amount": amount})


def ship(*, session: Session, user: User, order_id: str, carrier: str, tracking_number: str) -> Order:
    order = locked(session=session, order_id=order_id)
    LIFECYCLE.advance(session, order, "shipped", carrier=carrier, tracking_number=tracking_number,
                      shipped_at=utcnow())
    audit.record(session=session, actor_id=user.id, action=ShopEvent.ORDER_SHIPPED, subject_type="order",
                 subject_id=order.id, detail={"carrier": carrier})
    return order


def deliver(*, session: Session, user: User, order_id: str) -> Order:
    order = locked(session=session, order_id=order_id)
    LIFECYCLE.advance(session, order, "delivered", delivered_at=utcnow())
    audit.record(session=session, actor_id=user.id, action=ShopEvent.ORDER_DELIVERED, subject_type="order",
                 subject_id=order.id, detail={})
    return order


def recall_lot(*, session: Session, actor_id: str, lot_id: str, reason: str | None) -> dict:
    """Recall a lot: flag every order holding it and list who already received it."""
    lot, holders = inventory.recall(session=session, actor_id=actor_id, lot_id=lot_id, reason=reason)
    listed = []
    for order, status, quantity in holders:
        order.flagged, order.flag_reason = True, f"Lot {lot.lot_number} recalled"
        listed.append({"order_id": order.id, "status": order.status, "patient_id": order.patient_id,
                       "allocation": status, "quantity": quantity})
    return {"lot": lot, "orders": listed,
            "dispensed_to_patients": sorted({o["patient_id"] for o in listed if o["allocation"] == "dispensed"})}


# ---- money back ----------------------------------------------------------------------

def refund(*, session: Session, admin: User, order_id: str, amount: int | None, reason: str | None) -> Order:
    """Refund captured money, fully or in part; a full refund moves the order to refunded.
    An order only authorized (paid, not yet captured) is refunded by cancelling the authorization."""
    order = locked(session=session, order_id=order_id)
    LIFECYCLE.check(order.status, "refunded")
    if order.payment_status == "authorized":
        if amount not in (None, order.total_amount):
            raise Conflict(_("Nothing is captured yet: only the whole authorization can be released."))
        order = _cancel_authorization(session, order, doing="cancelling the authorization")
        _close(session, order, "refunded", actor_id=admin.id)
        amount = order.total_amount
    else:
        amount = payments.refundable(order, amount)
        order = _refund(session, order, amount=amount, actor_id=admin.id, reason=reason, doing="refunding")
        if order.amount_refunded >= order.amount_captured:
            LIFECYCLE.advance(session, order, "refunded", closed_at=closing_time(order))
    audit.record(session=session, actor_id=admin.id, action=ShopEvent.ORDER_REFUNDED, subject_type="order",
                 subject_id=order.id, detail={"amount": amount, "total_refunded": order.amount_refunded})
    return order


def _refund(session: Session, order: Order, *, amount: int | None, actor_id: str | None,
            reason: str | None, doing: str) -> Order:
    """Two units of work: the `refund` step committed, then the provider's answer applied."""
    amount = payments.refundable(order, amount)
    step = payments.begin(session=session, order=order, kind="refund", amount=amount)
    end_unit_of_work(session)
    result = _ask_provider(session, step, doing, lambda key: payments.gateway().refund(
        order.payment_intent_id, amount=amount, idempotency_key=key))
    order = locked(session=session, order_id=order.id)
    record_refund(session=session, order=order, step=step, provider_refund_id=result.id, actor_id=actor_id, reason=reason)
    return order


def record_refund(*, session: Session, order: Order, step: PaymentStep, provider_refund_id: str,
                  actor_id: str | None, reason: str | None) -> None:
    payments.succeeded(session=session, step=step, provider_ref=provider_refund_id)
    session.add(Refund(order_id=order.id, provider_refund_id=provider_refund_id, amount=step.amount,
                       reason=reason, created_by=actor_id))
    order.amount_refunded += step.amount
    order.payment_status = "refunded" if order.amount_refunded >= order.amount_captured else "partially_refunded"


# ---- what the provider tells us -------------------------------------------------------

def receive_webhook(*, session: Session, payload: bytes, signature: str | None) -> dict:
    """A signed provider event, applied once: a replay is acknowledged and changes nothing."""
    event = payments.verify_webhook(payload=payload, signature=signature)
    record = payments.first_delivery(session=session, event=event)
    if record is None:
        return {"received": True, "duplicate": True}
    record.order_id, record.outcome = apply_payment_event(session=session, event=event)
    return {"received": True, "duplicate": False}


def apply_payment_event(*, session: Session, event: dict) -> tuple[str | None, str]:
    """Apply what the provider says happened; never moves an order backwards."""
    kind, obj = event["type"], event["data"]["object"]
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    order_id = (obj.get("metadata") or {}).get("order_id") if obj.get("object") == "payment_intent" else None
    if order_id is None and intent_id:
        order_id = session.scalar(select(Order.id).where(Order.payment_intent_id == intent_id))
    order = lock(session=session, order_id=order_id) if order_id else None
    if order is None:
        return order_id, "ignored: no matching order"
    if kind == "charge.refunded":
        return order.id, _refunded_at_provider(session, order, obj)
    if not kind.startswith("payment_intent."):
        return order.id, "ignored: event type not handled"
    mismatch = _mismatch(order, intent_id, obj)
    if mismatch:
        log.warning("payment event refused: %s", mismatch, extra={"order_id": order.id, "event": kind})
        return order.id, f"refused: {mismatch}"
    if kind == "payment_intent.payment_failed":
        if order.status != "pending_payment":
            return order.id, "ignored: order already moved on"
        error = obj.get("last_payment_error") or {}
        order.payment_error = (error.get("message") or "The card was declined.")[:500]
        order.payment_status = "requires_payment_method"
        return order.id, "payment failed"
    if kind == "payment_intent.canceled":
        authorization_cancelled(session=session, order=order)
        if order.status in OPEN:
            _close(session, order, "cancelled", actor_id=None,
                   cancel_reason="The payment authorization was cancelled.")
        return order.id, "authorization cancelled"
    status = obj.get("status")
    authorized = kind == "payment_intent.amount_capturable_updated" or status == "requires_capture"
    captured = kind == "payment_intent.succeeded" or status == "succeeded"
    if not (authorized or captured):
        return order.id, "ignored: nothing to apply"
    if order.status in ("expired", "cancelled"):
        # A late authorization for an order that no longer exists: never keep the money.
        if order.payment_status != "canceled":
            _cancel_authorization(session, order, doing="cancelling a late authorization")
        return order.id, "late authorization cancelled"
    if order.status == "pending_payment":
        LIFECYCLE.advance(session, order, "paid", paid_at=utcnow())
        order.payment_status, order.payment_error = "authorized", None
        audit.record(session=session, actor_id=None, action=ShopEvent.ORDER_PAID, subject_type="order",
                     subject_id=order.id, detail={"amount": order.total_amount})
    if captured and order.payment_status == "authorized" and int(obj.get("amount_received") or 0) > 0:
        order.payment_status, order.amount_captured = "captured", int(obj["amount_received"])
    return order.id, "applied"


def _mismatch(order: Order, intent_id: str | None, intent: dict) -> str | None:
    """Why a payment_intent event is not about this order's payment, or None. The order's own
    intent, for the order's total in its currency: anything else (a signed event for another
    intent that names the order, a smaller amount) is recorded and left alone."""
    if order.payment_intent_id is None or order.payment_intent_id != intent_id:
        return "not this order's payment intent"
    if intent.get("amount") != order.total_amount or str(intent.get("currency", "")).lower() != order.currency.lower():
        return "amount or currency differs from the order's total"
    return None


def _refunded_at_provider(session: Session, order: Order, charge: dict) -> str:
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded <= order.amount_refunded:
        return "ignored: no more refunded than recorded"
    order.amount_refunded = refunded
    captured = order.amount_captured or int(charge.get("amount_captured") or 0)
    order.payment_status = "refunded" if refunded >= captured else "partially_refunded"
    if refunded >= captured and LIFECYCLE.allowed(order.status, "refunded"):
        LIFECYCLE.advance(session, order, "refunded", closed_at=closing_time(order))
    return "refund recorded"
