"""Inventory lots: receive, recall, and FEFO allocation that can never oversell.

Every change to `reserved` or `on_hand` is a conditional UPDATE whose WHERE re-checks
the stock, so concurrent buyers cannot both take the last units; SQLite serialises writers.

FEFO under contention (PostgreSQL): a buyer takes packs from the earliest-expiring eligible
lot with free packs that no other transaction holds locked (`FOR UPDATE SKIP LOCKED`), so
buyers of one hot product spread over its lots instead of queueing on one row. A later lot
is used only while every earlier eligible lot is full or locked by another buyer's
transaction at that instant; only when every eligible lot with free packs is locked does
the buyer wait, for the earliest of them, and stock is short only when none has free packs.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from core import audit
from core.db import add_unique, utcnow
from core.errors import Conflict, DomainError, NotFound, ValidationFailed
from shop.models import InventoryLot, LotAllocation, Order, OrderLine, Product
from shop.events import ShopEvent
from core.i18n import _


class OutOfStock(DomainError):
    slug = "out-of-stock"


@dataclass(frozen=True)
class Allocation:
    lot_id: str
    quantity: int
    lot_number: str
    expiry_date: date


def receive(*, session: Session, actor_id: str, product_id: str, lot_number: str,
            expiry_date: date, quantity: int) -> InventoryLot:
    if session.get(Product, product_id) is None:
        raise ValidationFailed(_("Unknown product."), errors={"product_id": [_("No such product.")]})
    if expiry_date <= utcnow().date():
        raise ValidationFailed(_("Expired stock cannot be received."),
                               errors={"expiry_date": [_("Must be in the future.")]})
    lot = InventoryLot(product_id=product_id, lot_number=lot_number, expiry_date=expiry_date,
                       on_hand=quantity, reserved=0)
    add_unique(session, lot, conflict=_("This lot number was already received for this product."))
    audit.record(session=session, actor_id=actor_id, action=ShopEvent.LOT_RECEIVED, subject_type="lot",
                 subject_id=lot.id, detail={"quantity": quantity, "lot_number": lot_number})
    return lot


def earliest_acceptable_expiry(today: date, days_supply: int | None) -> date:
    """A lot must outlast the therapy: expire after today + days supply (tomorrow at least)."""
    return today + timedelta(days=max(days_supply or 0, 1))


def _eligible(product_id: str, earliest_expiry: date):
    return and_(InventoryLot.product_id == product_id, InventoryLot.recalled.is_(False),
                InventoryLot.expiry_date >= earliest_expiry, InventoryLot.on_hand > InventoryLot.reserved)


def _first_free_lot(session: Session, product_id: str, earliest_expiry: date, *, skip_locked: bool):
    """The earliest-expiring eligible lot with free packs, locked for this transaction. With
    `skip_locked`, lots another transaction holds are passed over (none: every one is held or
    full); without, the earliest is waited for and re-checked once its holder ends."""
    return session.execute(
        select(InventoryLot.id, InventoryLot.lot_number, InventoryLot.expiry_date,
               (InventoryLot.on_hand - InventoryLot.reserved).label("free"))
        .where(_eligible(product_id, earliest_expiry))
        .order_by(InventoryLot.expiry_date, InventoryLot.id).limit(1)
        .with_for_update(skip_locked=skip_locked)).first()


def reserve(*, session: Session, product_id: str, quantity: int, days_supply: int | None = None,
            today: date | None = None) -> list[Allocation]:
    """Reserve `quantity` packs across lots, earliest expiry first (FEFO under contention: see
    the module's docstring), or raise OutOfStock.

    Partial reservations made before a shortfall are undone by the caller's unit of work
    (the whole checkout is one transaction), so a failed checkout holds nothing.
    """
    earliest_expiry = earliest_acceptable_expiry(today or utcnow().date(), days_supply)
    need, taken = quantity, []
    while need > 0:
        lot = (_first_free_lot(session, product_id, earliest_expiry, skip_locked=True)
               or _first_free_lot(session, product_id, earliest_expiry, skip_locked=False))
        if lot is None:
            raise OutOfStock(_("Not enough stock for this product."), product_id=product_id,
                             requested=quantity, available=quantity - need)
        take = min(need, lot.free)
        # The row is ours until commit; the WHERE re-checks the stock all the same.
        result = session.execute(
            update(InventoryLot)
            .where(InventoryLot.id == lot.id, InventoryLot.recalled.is_(False),
                   InventoryLot.on_hand - InventoryLot.reserved >= take)
            .values(reserved=InventoryLot.reserved + take)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            taken.append(Allocation(lot.id, take, lot.lot_number, lot.expiry_date))
            need -= take
    return taken


def release(*, session: Session, allocation: LotAllocation) -> bool:
    """Return reserved packs to their lot, once."""
    done = session.execute(update(LotAllocation)
                           .where(LotAllocation.id == allocation.id, LotAllocation.status == "reserved")
                           .values(status="released").execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    session.execute(update(InventoryLot).where(InventoryLot.id == allocation.lot_id)
                    .values(reserved=InventoryLot.reserved - allocation.quantity)
                    .execution_options(synchronize_session=False))
    return True


def dispense(*, session: Session, allocation: LotAllocation) -> None:
    """Dispense reserved packs: they leave the shelf (on hand and reserved both drop)."""
    done = session.execute(update(LotAllocation)
                           .where(LotAllocation.id == allocation.id, LotAllocation.status == "reserved")
                           .values(status="dispensed").execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("These packs were already dispensed or released."))
    session.execute(update(InventoryLot).where(InventoryLot.id == allocation.lot_id,
                                               InventoryLot.recalled.is_(False))
                    .values(on_hand=InventoryLot.on_hand - allocation.quantity,
                            reserved=InventoryLot.reserved - allocation.quantity)
                    .execution_options(synchronize_session=False))


def recall(*, session: Session, actor_id: str, lot_id: str, reason: str | None) -> tuple[InventoryLot, list]:
    """Stop a lot for good. Returns it with every (order, allocation status, quantity) holding
    or having received it; flagging those orders is shop.orders'."""
    lot = session.get(InventoryLot, lot_id)
    if lot is None:
        raise NotFound(_("No such lot."))
    if not lot.recalled:
        lot.recalled, lot.recalled_at, lot.recall_reason = True, utcnow(), reason
    holders = holders_of(session=session, lot_id=lot.id)
    audit.record(session=session, actor_id=actor_id, action=ShopEvent.LOT_RECALLED,
                 subject_type="lot", subject_id=lot.id,
                 detail={"orders_flagged": len(holders)})
    return lot, holders


def holders_of(*, session: Session, lot_id: str) -> list:
    """Every (order, allocation status, quantity) holding packs of the lot or having received them."""
    return session.execute(
        select(Order, LotAllocation.status, LotAllocation.quantity)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(LotAllocation, LotAllocation.order_line_id == OrderLine.id)
        .where(LotAllocation.lot_id == lot_id, LotAllocation.status != "released")
        .order_by(Order.created_at)).all()


def find_by_number(*, session: Session, lot_number: str) -> list[InventoryLot]:
    """The lots received under this number (one per product at most), for a recall look-up."""
    return list(session.scalars(select(InventoryLot).where(InventoryLot.lot_number == lot_number.strip())
                                .order_by(InventoryLot.received_at, InventoryLot.id)))


def swap_ineligible(*, session: Session, lines: list[OrderLine]) -> bool:
    """Swap packs held on a lot that was recalled, or no longer outlasts the therapy, for
    packs of an eligible lot (FEFO). Returns whether anything was swapped."""
    today = utcnow().date()
    swapped = False
    for line in lines:
        for allocation, lot in session.execute(
                select(LotAllocation, InventoryLot).join(InventoryLot, InventoryLot.id == LotAllocation.lot_id)
                .where(LotAllocation.order_line_id == line.id, LotAllocation.status == "reserved")):
            if not lot.recalled and lot.expiry_date >= earliest_acceptable_expiry(today, line.days_supply):
                continue
            release(session=session, allocation=allocation)
            for replacement in reserve(session=session, product_id=line.product_id, quantity=allocation.quantity,
                                       days_supply=line.days_supply):
                session.add(LotAllocation(order_line_id=line.id, lot_id=replacement.lot_id,
                                          quantity=replacement.quantity, status="reserved"))
            swapped = True
    session.flush()
    return swapped
