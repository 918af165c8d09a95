"""Order use cases that span stock, prescriptions and money: place, cancel, dispense, ship, deliver.

No hot row is locked across a call to the payment provider: stock and prescription units
are reserved and committed first, the provider is called, and the outcome is applied in a
second short transaction that locks only the order's own row.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow
from consult import dispensing
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.identity.models import User
from shop import inventory, orders, payments
from shop.models import InventoryLot, LotAllocation, Order, OrderLine

CANCELLABLE_BY_PATIENT = ("pending_payment", "paid")


def lock(session: Session, order_id: str) -> Order:
    """The order's own row, locked for its transition (SELECT … FOR UPDATE on PostgreSQL)."""
    return session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                          .execution_options(populate_existing=True))


def place(*, session: Session, user: User, idempotency_key: str, body: dict) -> tuple[Order, bool]:
    order, created = orders.checkout(session=session, user=user, idempotency_key=idempotency_key, body=body)
    if order.status == "pending_payment" and order.payment_intent_id is None and payments.enabled():
        session.commit()  # stock and prescription units are held: let go of their row locks
        order = lock(session, order.id)
        if order.payment_intent_id is None:
            payments.open_intent(session, order)
    return order, created


def cancel(*, session: Session, user: User, order_id: str, reason: str | None) -> Order:
    order = orders.get(session=session, user=user, order_id=order_id)
    if user.role == "patient" and order.status not in CANCELLABLE_BY_PATIENT:
        raise InvalidTransition("An order can be cancelled by its patient only before dispensing.",
                                current_status=order.status, target_status="cancelled")
    orders.LIFECYCLE.check(order.status, "cancelled")
    order = lock(session, order.id)
    if order.payment_intent_id:
        payments.void(session, order)  # the authorisation is cancelled at the provider first
    orders.LIFECYCLE.advance(session, order, "cancelled", cancel_reason=reason, closed_at=utcnow())
    orders.release_holds(session, order, actor_id=user.id)
    audit.record(session, actor_id=user.id, action="order.cancelled", subject_type="order",
                 subject_id=order.id, detail={"by": user.role})
    return order


def expire_unpaid(session: Session, now=None) -> int:
    """The expiry job. Each order is its own short unit of work: lock the order, cancel any
    authorisation that slipped in, then expire it and give back what it held. A late
    payment webhook takes the same row lock, so an order is never both expired and paid."""
    now = now or utcnow()
    expired = 0
    for order_id in orders.due_for_expiry(session, now):
        order = lock(session, order_id)
        if order.status != "pending_payment" or order.expires_at > now:
            session.commit()
            continue
        if order.payment_intent_id:
            payments.void(session, order)
        orders.expire(session, order, now)
        session.commit()
        expired += 1
    return expired


def dispense(*, session: Session, pharmacist: User, order_id: str) -> Order:
    """Dispense a paid order: re-check safety, take packs from eligible lots (recording the lot
    numbers per line), tell consult what was dispensed, capture the payment. Nothing changes
    if any step refuses; the lot rows are touched only after the provider has answered."""
    order = lock(session, order_id)
    if order is None:
        raise NotFound("No such order.")
    orders.LIFECYCLE.check(order.status, "dispensed")
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.position)))
    for prescription_id in sorted({line.prescription_id for line in lines if line.prescription_id}):
        dispensing.ensure_safe_to_dispense(session=session, prescription_id=prescription_id)
    if _replace_ineligible_allocations(session, lines):
        session.commit()  # new reservations stand; let go of the lot rows before calling out
        order = lock(session, order_id)
        orders.LIFECYCLE.check(order.status, "dispensed")
    now = utcnow()
    for line in lines:
        if line.prescription_use_id:
            dispensing.record_dispense(session=session, use_id=line.prescription_use_id, pharmacist_id=pharmacist.id, now=now)
    if order.payment_status == "authorized":
        payments.capture(session, order, amount=order.total_amount)
    try:
        for allocation in session.scalars(select(LotAllocation).where(
                LotAllocation.order_line_id.in_([line.id for line in lines]),
                LotAllocation.status == "reserved")):
            inventory.take_out(session, allocation)
        orders.LIFECYCLE.advance(session, order, "dispensed", dispensed_at=now, dispensed_by=pharmacist.id)
        audit.record(session, actor_id=pharmacist.id, action="order.dispensed", subject_type="order",
                     subject_id=order.id, detail={"lines": len(lines), "captured": order.amount_captured})
        session.flush()
    except Exception:
        payments.compensate_capture(order)
        raise
    return order


def _replace_ineligible_allocations(session: Session, lines: list[OrderLine]) -> bool:
    """Swap packs held on a lot that was recalled, or no longer outlasts the therapy, for
    packs of an eligible lot (FEFO). Returns whether anything was swapped."""
    today = utcnow().date()
    swapped = False
    for line in lines:
        for allocation, lot in session.execute(
                select(LotAllocation, InventoryLot).join(InventoryLot, InventoryLot.id == LotAllocation.lot_id)
                .where(LotAllocation.order_line_id == line.id, LotAllocation.status == "reserved")):
            if not lot.recalled and lot.expiry_date >= inventory.earliest_acceptable_expiry(today, line.days_supply):
                continue
            inventory.release(session, allocation)
            for replacement in inventory.reserve(session, product_id=line.product_id,
                                                 quantity=allocation.quantity, days_supply=line.days_supply):
                session.add(LotAllocation(order_line_id=line.id, lot_id=replacement.lot_id,
                                          quantity=replacement.quantity, status="reserved"))
            swapped = True
    session.flush()
    return swapped


def ship(*, session: Session, user: User, order_id: str, carrier: str, tracking_number: str) -> Order:
    order = lock(session, order_id)
    if order is None:
        raise NotFound("No such order.")
    orders.LIFECYCLE.advance(session, order, "shipped", carrier=carrier, tracking_number=tracking_number,
                             shipped_at=utcnow())
    audit.record(session, actor_id=user.id, action="order.shipped", subject_type="order",
                 subject_id=order.id, detail={"carrier": carrier})
    return order


def deliver(*, session: Session, user: User, order_id: str) -> Order:
    order = lock(session, order_id)
    if order is None:
        raise NotFound("No such order.")
    orders.LIFECYCLE.advance(session, order, "delivered", delivered_at=utcnow())
    audit.record(session, actor_id=user.id, action="order.delivered", subject_type="order",
                 subject_id=order.id, detail={})
    return order


def refund(*, session: Session, admin: User, order_id: str, amount: int | None, reason: str | None) -> Order:
    """Refund captured money, fully or in part; a full refund moves the order to refunded.
    An order only authorised (paid, not yet captured) is refunded by cancelling the authorisation."""
    order = lock(session, order_id)
    if order is None:
        raise NotFound("No such order.")
    orders.LIFECYCLE.check(order.status, "refunded")
    if order.payment_status == "authorized":
        if amount not in (None, order.total_amount):
            raise Conflict("Nothing is captured yet: only the whole authorisation can be released.")
        payments.void(session, order)
        orders.LIFECYCLE.advance(session, order, "refunded", closed_at=utcnow())
        orders.release_holds(session, order, actor_id=admin.id)
    else:
        refundable = order.amount_captured - order.amount_refunded
        amount = refundable if amount is None else amount
        if amount <= 0 or amount > refundable:
            raise ValidationFailed(f"At most {refundable} can be refunded.",
                                   errors={"amount": [f"Must be between 1 and {refundable}."]})
        payments.refund(session, order, amount=amount, actor_id=admin.id, reason=reason)
        if order.amount_refunded >= order.amount_captured:
            orders.LIFECYCLE.advance(session, order, "refunded", closed_at=utcnow())
    audit.record(session, actor_id=admin.id, action="order.refunded", subject_type="order",
                 subject_id=order.id, detail={"amount": amount, "total_refunded": order.amount_refunded})
    return order
