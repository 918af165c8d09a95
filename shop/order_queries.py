"""Orders as their patient and the pharmacy see them: access, lists, lines with their lots."""

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from core import audit
from core.errors import Forbidden, NotFound
from core.i18n import _
from core.identity.models import User
from core.pagination import Page, paginate
from shop import payments
from shop.events import ShopEvent
from shop.models import InventoryLot, LotAllocation, Order, OrderLine
from core.i18n import _


def get(*, session: Session, user: User, order_id: str) -> Order:
    """Patients see their own orders only; pharmacists and admins see all."""
    order = session.get(Order, order_id)
    refused = order is not None and ((user.role == "patient" and order.user_id != user.id) or user.role == "doctor")
    if order is not None:
        audit.record_read(session=session, reader=user, action=ShopEvent.ORDER_READ, subject_type="order",
                          subject_id=order.id, patient_id=order.patient_id, refused=refused)
    if order is None or (user.role == "patient" and order.user_id != user.id):
        raise NotFound(_("No such order."))
    if user.role == "doctor":
        raise NotFound(_("No such order."))
    return order


def visible_to(*, user: User):
    """get's rule as a condition on Order, for searches: patients their own, pharmacists and
    admins all; doctors none (they are refused with Forbidden before, as by list_for)."""
    if user.role == "patient":
        return Order.user_id == user.id
    if user.role in ("pharmacist", "admin"):
        return true()
    raise Forbidden("Orders are for patients, pharmacists and admins.")


def list_for(*, session: Session, user: User, status: str | None, limit: int | None,
             cursor: str | None) -> Page:
    stmt = select(Order)
    if user.role == "patient":
        stmt = stmt.where(Order.user_id == user.id)
    elif user.role not in ("pharmacist", "admin"):
        raise Forbidden(_("Orders are for patients, pharmacists and admins."))
    if status:
        stmt = stmt.where(Order.status == status)
    page = paginate(session, stmt, keys=(Order.created_at, Order.id), limit=limit, cursor=cursor,
                    descending=user.role == "patient")
    audit.record_list_read(session=session, reader=user, action=ShopEvent.ORDER_LIST_READ, subject_type="order",
                           subjects=[(o.id, o.patient_id) for o in page.items])
    return page


def lines_of(*, session: Session, orders: list[Order]) -> dict[str, list[dict]]:
    """Order lines with their lot allocations, for many orders in two queries."""
    ids = [o.id for o in orders]
    lines: dict[str, list[dict]] = {i: [] for i in ids}
    if not ids:
        return lines
    line_rows = list(session.scalars(select(OrderLine).where(OrderLine.order_id.in_(ids))
                                     .order_by(OrderLine.order_id, OrderLine.position)))
    allocations: dict[str, list] = {}
    for allocation, lot in session.execute(
            select(LotAllocation, InventoryLot).join(InventoryLot, InventoryLot.id == LotAllocation.lot_id)
            .where(LotAllocation.order_line_id.in_([line.id for line in line_rows]))
            .order_by(LotAllocation.created_at, InventoryLot.expiry_date, InventoryLot.id)):  # ties: FEFO, as reserved
        allocations.setdefault(allocation.order_line_id, []).append(
            {"lot_id": lot.id, "lot_number": lot.lot_number, "expiry_date": lot.expiry_date,
             "quantity": allocation.quantity, "status": allocation.status})
    currencies = {o.id: o.currency for o in orders}
    for line in line_rows:
        lines[line.order_id].append(line_view(line, currencies[line.order_id], allocations.get(line.id, [])))
    return lines


def line_view(line: OrderLine, currency: str, lots: list[dict]) -> dict:
    """An order line as the API shows it, with its lots (lot_id, lot_number, expiry_date, quantity, status)."""
    return {**{c.key: getattr(line, c.key) for c in OrderLine.__table__.columns},
            "price": money(line.unit_price, currency), "subtotal": money(line.line_total, currency), "lots": lots}


def money(amount: int, currency: str) -> dict:
    """An amount in minor units as the API writes money: `{amount, currency}`."""
    return {"amount": amount, "currency": currency}


def describe(*, session: Session, orders: list[Order], lines: dict[str, list[dict]] | None = None) -> list[dict]:
    """Orders as the API shows them (lines and lots loaded for the whole page at once, unless
    given: an order just placed has them in hand, see line_view)."""
    lines = lines if lines is not None else lines_of(session=session, orders=orders)
    payments_on = payments.enabled()
    described = []
    for order in orders:
        described.append({
            **{c.key: getattr(order, c.key) for c in Order.__table__.columns},
            "items": lines[order.id],
            "total": money(order.total_amount, order.currency),
            "payment": _payment(order, payments_on),
        })
    return described


def _payment(order: Order, payments_on: bool) -> dict:
    """The order's payment; with no payment provider configured, an order never paid for says so."""
    payment = {"provider": "stripe", "status": order.payment_status, "payment_intent_id": order.payment_intent_id,
               "client_secret": order.payment_client_secret if order.status == "pending_payment" else None,
               "amount_captured": order.amount_captured, "amount_refunded": order.amount_refunded,
               "captured": money(order.amount_captured, order.currency),
               "refunded": money(order.amount_refunded, order.currency),
               "error": order.payment_error, "message": None}
    if not payments_on and order.payment_intent_id is None and order.payment_status == "requires_payment_method":
        payment.update(status="unavailable", message=_(
            "Payments are not set up on this server, so this order cannot be paid here: set STRIPE_SECRET_KEY "
            "(or run `make run`, which starts a local test payment server)."))
    return payment
