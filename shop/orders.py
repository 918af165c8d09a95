"""Orders: idempotent checkout that honours prescriptions, listing, cancel and expiry."""

import hashlib
import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult import patients
from consult import dispensing
from core import audit
from core.db import utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.identity.models import User
from core.pagination import Page, paginate
from core.states import StateMachine
from shop import catalog, inventory
from shop.models import CartLine, InventoryLot, LotAllocation, Order, OrderLine, Product

LIFECYCLE = StateMachine("order", {
    "pending_payment": {"paid", "cancelled", "expired"},
    "paid": {"dispensed", "cancelled", "refunded"},
    "dispensed": {"shipped", "refunded"},
    "shipped": {"delivered", "refunded"},
    "delivered": {"refunded"},
    "cancelled": set(), "expired": set(), "refunded": set(),
})
CONSULTATION_URL = "/api/v1/consultations"


def request_fingerprint(body: dict) -> str:
    """The same key must come with the same request: compare canonical JSON digests."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(session: Session, user: User, key: str, fingerprint: str) -> Order | None:
    order = session.scalar(select(Order).where(Order.user_id == user.id, Order.idempotency_key == key))
    if order is not None and order.request_hash != fingerprint:
        raise Conflict("This Idempotency-Key was used with a different request.")
    return order


def checkout(*, session: Session, user: User, idempotency_key: str, body: dict,
             now: datetime | None = None) -> tuple[Order, bool]:
    """Create an order, or return the one this key already made (and False).

    One transaction: the key is claimed first, then every Rx line gets a prescription
    authorisation and every line a FEFO reservation. Any refusal rolls all of it back.
    """
    now = now or utcnow()
    fingerprint = request_fingerprint(body)
    found = _existing(session, user, idempotency_key, fingerprint)
    if found is not None:
        return found, False
    patient = patients.of_user(session=session, user=user)
    from_cart = body.get("items") is None
    wanted = body.get("items") or [
        {"product_id": c.product_id, "quantity": c.quantity, "prescription_id": c.prescription_id}
        for c in session.scalars(select(CartLine).where(CartLine.user_id == user.id)
                                 .order_by(CartLine.updated_at, CartLine.product_id))]
    if not wanted:
        raise ValidationFailed("Nothing to order: the cart is empty.", errors={"items": ["No items."]})
    if len({w["product_id"] for w in wanted}) != len(wanted):
        raise ValidationFailed("A product appears twice.", errors={"items": ["Each product once."]})

    order = Order(user_id=user.id, patient_id=patient.id, status="pending_payment",
                  idempotency_key=idempotency_key, request_hash=fingerprint, currency="",
                  shipping_address=body["shipping_address"],
                  expires_at=now + timedelta(minutes=current_app.config["ORDER_TTL_MINUTES"]))
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its order.
        return _existing(session, user, idempotency_key, fingerprint), False

    currencies, total = set(), 0
    for position, wanted_line in enumerate(wanted):
        product = catalog.get(session=session, product_id=wanted_line["product_id"])
        line = _order_line(session, order, patient.id, position, wanted_line, product)
        currencies.add(product.currency)
        total += line.line_total
    if len(currencies) != 1:
        raise ValidationFailed("All items must be priced in one currency.", errors={"items": ["Mixed currencies."]})
    order.currency, order.total_amount = currencies.pop(), total
    if from_cart:
        for cart_line in session.scalars(select(CartLine).where(CartLine.user_id == user.id)):
            session.delete(cart_line)
    session.flush()
    audit.record(session, actor_id=user.id, action="order.created", subject_type="order",
                 subject_id=order.id, detail={"lines": len(wanted), "total": total})
    return order, True


def _order_line(session: Session, order: Order, patient_id: str, position: int, wanted: dict,
                product: Product) -> OrderLine:
    drug = catalog.drug_of(session, product)
    units = wanted["quantity"] * product.pack_size
    line = OrderLine(order_id=order.id, position=position, product_id=product.id, drug_id=drug.id,
                     quantity=wanted["quantity"], units=units, unit_price=product.price_amount,
                     line_total=product.price_amount * wanted["quantity"],
                     needs_prescription=catalog.needs_prescription(drug))
    if line.needs_prescription:
        try:
            authorization = dispensing.authorize_use(session=session, patient_id=patient_id, drug_id=drug.id, quantity=units,
                                             prescription_id=wanted.get("prescription_id"), reference=order.id)
        except dispensing.PrescriptionRequired:
            raise dispensing.PrescriptionRequired(
                f"{product.name} is a prescription medicine.",
                errors={f"items.{position}.prescription_id": [
                    "An approved, unexpired prescription of yours covering this quantity is required."]},
                product_id=product.id, consultation_url=CONSULTATION_URL,
                consultation_request=_consultation_request(product)) from None
        except dispensing.PrescriptionExhausted as exc:
            raise dispensing.PrescriptionExhausted(exc.detail, product_id=product.id, consultation_url=CONSULTATION_URL,
                                           consultation_request=_consultation_request(product),
                                           **exc.extra) from None
        line.prescription_id = authorization.prescription_id
        line.prescription_use_id = authorization.use_id
        line.days_supply = authorization.days_supply
    session.add(line)
    session.flush()
    for allocation in inventory.reserve(session, product_id=product.id, quantity=line.quantity,
                                        days_supply=line.days_supply):
        session.add(LotAllocation(order_line_id=line.id, lot_id=allocation.lot_id,
                                  quantity=allocation.quantity, status="reserved"))
    return line


def _consultation_request(product) -> dict:
    """A ready body for POST /api/v1/consultations: the loop back to a doctor."""
    return {"chief_complaint": f"Prescription for {product.name}", "symptoms": [], "is_follow_up": True,
            "requested_product_ids": [product.id]}


# ---- reading -------------------------------------------------------------------------

def get(*, session: Session, user: User, order_id: str) -> Order:
    """Patients see their own orders only; pharmacists and admins see all."""
    order = session.get(Order, order_id)
    if order is None or (user.role == "patient" and order.user_id != user.id):
        raise NotFound("No such order.")
    if user.role == "doctor":
        raise NotFound("No such order.")
    return order


def list_for(*, session: Session, user: User, status: str | None, limit: int | None,
             cursor: str | None) -> Page:
    stmt = select(Order)
    if user.role == "patient":
        stmt = stmt.where(Order.user_id == user.id)
    elif user.role not in ("pharmacist", "admin"):
        raise Forbidden("Orders are for patients, pharmacists and admins.")
    if status:
        stmt = stmt.where(Order.status == status)
    return paginate(session, stmt, keys=(Order.created_at, Order.id), limit=limit, cursor=cursor,
                    descending=user.role == "patient")


def lines_of(session: Session, orders: list[Order]) -> dict[str, list[dict]]:
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


# ---- giving stock and prescriptions back ---------------------------------------------

def release_holds(session: Session, order: Order, *, actor_id: str | None) -> None:
    """Return reserved lots and prescription units. Each release is conditional: exactly once."""
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    for allocation in session.scalars(select(LotAllocation).where(
            LotAllocation.order_line_id.in_([line.id for line in lines]), LotAllocation.status == "reserved")):
        inventory.release(session, allocation)
    for line in lines:
        if line.prescription_use_id:
            dispensing.release(session=session, use_id=line.prescription_use_id, actor_id=actor_id)


def due_for_expiry(session: Session, now: datetime) -> list[str]:
    return list(session.scalars(select(Order.id).where(Order.status == "pending_payment",
                                                       Order.expires_at <= now).order_by(Order.expires_at)))


def expire(session: Session, order: Order, now: datetime) -> None:
    """An unpaid order past its time gives back its stock and prescription units."""
    LIFECYCLE.advance(session, order, "expired", closed_at=now)
    release_holds(session, order, actor_id=None)
    audit.record(session, actor_id=None, action="order.expired", subject_type="order",
                 subject_id=order.id, detail={})


def describe(session: Session, orders: list[Order]) -> list[dict]:
    """Orders as the API shows them (lines and lots loaded for the whole page at once)."""
    lines = lines_of(session, orders)
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
