"""Orders as their patient and the pharmacy see them: access, lists, lines with their lots."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Forbidden, NotFound
from core.identity.models import User
from core.pagination import Page, paginate
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
            .order_by(LotAllocation.created_at, LotAllocation.id)):
        allocations.setdefault(allocation.order_line_id, []).append(
            {"lot_id": lot.id, "lot_number": lot.lot_number, "expiry_date": lot.expiry_date,
             "quantity": allocation.quantity, "status": allocation.status})
    for line in line_rows:
        lines[line.order_id].append({**{c.key: getattr(line, c.key) for c in OrderLine.__table__.columns},
                                     "lots": allocations.get(line.id, [])})
    return lines


def describe(*, session: Session, orders: list[Order]) -> list[dict]:
    """Orders as the API shows them (lines and lots loaded for the whole page at once)."""
    lines = lines_of(session=session, orders=orders)
    described = []
    for order in orders:
        described.append({
            **{c.key: getattr(order, c.key) for c in Order.__table__.columns},
            "items": lines[order.id],
            "total": {"amount": order.total_amount, "currency": order.currency},
            "payment": {"provider": "stripe", "status": order.payment_status,
                        "payment_intent_id": order.payment_intent_id,
                        "client_secret": order.payment_client_secret if order.status == "pending_payment" else None,
                        "amount_captured": order.amount_captured, "amount_refunded": order.amount_refunded,
                        "error": order.payment_error},
        })
    return described
