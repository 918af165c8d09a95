"""Creating an order at checkout: built from the cart or the request, its prescription units and stock held.

Builds a new order in its first state (pending_payment); every later change of an order is
shop.orders'.
"""

import hashlib
import json
from datetime import datetime, timedelta

from typing import NamedTuple

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consult import consultation_requests, dispensing, online_sale, packs, patients
from core import audit
from core.db import is_postgres, new_id, utcnow
from core.errors import Conflict, ValidationFailed
from core.i18n import _, n_
from core.identity.models import User
from consult.models import Drug
from shop import catalog, inventory, order_queries
from shop.models import CartLine, LotAllocation, Order, OrderLine, Product
from shop.events import ShopEvent
from core.i18n import _

CONSULTATION_URL = "/api/v1/consultations"


def request_fingerprint(body: dict) -> str:
    """The same key must come with the same request: compare canonical JSON digests."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def existing_order(*, session: Session, user: User, key: str, fingerprint: str) -> Order | None:
    order = session.scalar(select(Order).where(Order.user_id == user.id, Order.idempotency_key == key))
    if order is not None and order.request_hash != fingerprint:
        raise Conflict(_("This Idempotency-Key was used with a different request."))
    return order


class Placed(NamedTuple):
    """What checkout answers: the order, whether this request made it, and — when it did — its
    lines as written (the API shows them without reading back what was just written)."""
    order: Order
    created: bool
    lines: list[dict] | None


def create(*, session: Session, user: User, idempotency_key: str, body: dict,
           now: datetime | None = None) -> Placed:
    """A new order waiting for payment, or the one this key already made (created False).

    One unit of work: the key is claimed first (the order row, inserted unless the key is
    taken), then every Rx line gets a prescription authorization and every line a FEFO
    reservation. Any refusal rolls all of it back. Paying for it is shop.orders.checkout's business.
    """
    now = now or utcnow()
    fingerprint = request_fingerprint(body)
    patient = patients.of_user(session=session, user=user)
    cart = None if body.get("items") is not None else list(session.scalars(
        select(CartLine).where(CartLine.user_id == user.id).order_by(CartLine.updated_at, CartLine.product_id)))
    wanted = body.get("items") or [
        {"product_id": c.product_id, "quantity": c.quantity, "prescription_id": c.prescription_id} for c in cart or []]
    # Products and their drugs in one query; catalog.get/drug_of then answer from the identity map.
    products = {product.id: product for product, _drug in session.execute(
        select(Product, Drug).join(Drug, Drug.id == Product.drug_id)
        .where(Product.id.in_({w["product_id"] for w in wanted})))}
    priced = [(products[w["product_id"]], w["quantity"]) for w in wanted if w["product_id"] in products]
    currencies = {product.currency for product, _ in priced}

    order = _claim(session, user=user, patient_id=patient.id, key=idempotency_key, fingerprint=fingerprint,
                   body=body, currency=next(iter(currencies)) if len(currencies) == 1 else "",
                   total=sum(product.price_amount * quantity for product, quantity in priced), now=now)
    if order is None:  # the key was taken, perhaps by a concurrent request that committed first
        return Placed(existing_order(session=session, user=user, key=idempotency_key, fingerprint=fingerprint),
                      False, None)
    if not wanted:
        raise ValidationFailed(_("Nothing to order: the cart is empty."), errors={"items": [_("No items.")]})
    if len({w["product_id"] for w in wanted}) != len(wanted):
        raise ValidationFailed(_("A product appears twice."), errors={"items": [_("Each product once.")]})

    lines, allocations, shown = [], [], []
    for position, wanted_line in enumerate(wanted):
        product = catalog.get(session=session, product_id=wanted_line["product_id"])
        line, held = _order_line(session, order, patient, position, wanted_line, product)
        lines.append(line)
        allocations += [LotAllocation(order_line_id=line.id, lot_id=a.lot_id, quantity=a.quantity, status="reserved")
                        for a in held]
        shown.append(order_queries.line_view(line, order.currency, [
            {"lot_id": a.lot_id, "lot_number": a.lot_number, "expiry_date": a.expiry_date,
             "quantity": a.quantity, "status": "reserved"} for a in held]))
    if len(currencies) != 1:
        raise ValidationFailed(_("All items must be priced in one currency."), errors={"items": [_("Mixed currencies.")]})
    # The lines (one insert) before their allocations (the other, at commit): nothing relates
    # the two mappers for the unit of work to order them itself.
    session.add_all(lines)
    session.flush()
    session.add_all(allocations)
    for cart_line in cart or []:
        session.delete(cart_line)
    audit.record(session=session, actor_id=user.id, action=ShopEvent.ORDER_CREATED, subject_type="order",
                 subject_id=order.id, detail={"lines": len(wanted), "total": order.total_amount})
    return Placed(order, True, shown)


def _claim(session: Session, *, user: User, patient_id: str, key: str, fingerprint: str, body: dict,
           currency: str, total: int, now: datetime) -> Order | None:
    """Insert the order unless this user's key is taken (then None). A concurrent request with
    the same key waits here for the other to end, then finds its order."""
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    return session.scalar(
        insert(Order).values(id=new_id("ord"), user_id=user.id, patient_id=patient_id, status="pending_payment",
                             idempotency_key=key, request_hash=fingerprint, currency=currency, total_amount=total,
                             shipping_address=body["shipping_address"], created_at=utcnow(),
                             expires_at=now + timedelta(minutes=current_app.config["ORDER_TTL_MINUTES"]))
        .on_conflict_do_nothing(index_elements=[Order.user_id, Order.idempotency_key])
        .returning(Order))


def _order_line(session: Session, order: Order, patient, position: int, wanted: dict,
                product: Product) -> tuple[OrderLine, list[inventory.Allocation]]:
    """The line (not yet added), with its prescription units and packs held."""
    drug = catalog.drug_of(session=session, product=product)
    policy_name = current_app.config["RXLOOP_POLICY"]
    online_sale.require_allowed(drug_id=drug.id, policy_name=policy_name, product_id=product.id,
                                errors={f"items.{position}.product_id": ["Not sold online under this jurisdiction."]})
    units = wanted["quantity"] * product.pack_size
    line = OrderLine(id=new_id("oln"), order_id=order.id, position=position, product_id=product.id,
                     drug_id=drug.id, quantity=wanted["quantity"], units=units, unit_price=product.price_amount,
                     line_total=product.price_amount * wanted["quantity"],
                     needs_prescription=catalog.needs_prescription(drug),
                     prescription_id=None, prescription_use_id=None, days_supply=None)
    if line.needs_prescription:
        pack = catalog.pack_of(session=session, product_id=product.id)

        def loop_back() -> dict:  # what a refusal offers: the way back to a doctor
            return {"product_id": product.id, "consultation_url": CONSULTATION_URL,
                    **consultation_requests.ready(patient=patient, policy_name=policy_name, pack=pack,
                                                  packs_wanted=wanted["quantity"])}
        try:
            authorization = dispensing.authorize_use(session=session, patient_id=patient.id, drug_id=drug.id,
                                                     quantity=units, prescription_id=wanted.get("prescription_id"),
                                                     reference=order.id)
        except dispensing.PrescriptionRequired:
            raise dispensing.PrescriptionRequired(
                f"{product.name} is a prescription medicine.",
                errors={f"items.{position}.prescription_id": [
                    _("An approved, unexpired prescription of yours covering this quantity is required.")]},
                **loop_back()) from None
        except dispensing.PrescriptionExhausted as exc:
            left = exc.extra["units_remaining"]
            raise dispensing.PrescriptionExhausted(
                _exhausted_in_packs(left=left, wanted=wanted["quantity"], pack=pack, form=drug.form),
                errors={f"items.{position}.quantity": [_("At most %(num)d pack(s).", num=left // pack.pack_size)]},
                packs_remaining=left // pack.pack_size, pack_size=pack.pack_size, **exc.extra, **loop_back()) from None
        line.prescription_id = authorization.prescription_id
        line.prescription_use_id = authorization.use_id
        line.days_supply = authorization.days_supply
    return line, inventory.reserve(session=session, product_id=product.id, quantity=line.quantity,
                                   days_supply=line.days_supply)


def _exhausted_in_packs(*, left: int, wanted: int, pack: packs.Pack, form: str) -> str:
    """The refusal in the unit the client ordered in: packs, with the units they hold."""
    whole = left // pack.pack_size
    return n_("Your prescription covers %(num)d more pack (%(units)s) in this fill, not %(wanted)s.",
              "Your prescription covers %(num)d more packs (%(units)s) in this fill, not %(wanted)s.", whole,
              units=packs.units_text(left, form), wanted=packs.packs_text(wanted, pack.pack_size, form))
