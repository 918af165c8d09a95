"""Creating an order at checkout: built from the cart or the request, its prescription units and stock held.

Builds a new order in its first state (pending_payment); every later change of an order is
shop.orders'.
"""

import hashlib
import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult import consultation_requests, dispensing, online_sale, packs, patients
from core import audit
from core.db import utcnow
from core.errors import Conflict, ValidationFailed
from core.i18n import _, n_
from core.identity.models import User
from shop import catalog, inventory
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


def create(*, session: Session, user: User, idempotency_key: str, body: dict,
             now: datetime | None = None) -> tuple[Order, bool]:
    """A new order waiting for payment, or the one this key already made (and False).

    One unit of work: the key is claimed first, then every Rx line gets a prescription
    authorization and every line a FEFO reservation. Any refusal rolls all of it back.
    Paying for it is shop.orders.checkout's business.
    """
    now = now or utcnow()
    fingerprint = request_fingerprint(body)
    found = existing_order(session=session, user=user, key=idempotency_key, fingerprint=fingerprint)
    if found is not None:
        return found, False
    patient = patients.of_user(session=session, user=user)
    from_cart = body.get("items") is None
    wanted = body.get("items") or [
        {"product_id": c.product_id, "quantity": c.quantity, "prescription_id": c.prescription_id}
        for c in session.scalars(select(CartLine).where(CartLine.user_id == user.id)
                                 .order_by(CartLine.updated_at, CartLine.product_id))]
    if not wanted:
        raise ValidationFailed(_("Nothing to order: the cart is empty."), errors={"items": [_("No items.")]})
    if len({w["product_id"] for w in wanted}) != len(wanted):
        raise ValidationFailed(_("A product appears twice."), errors={"items": [_("Each product once.")]})

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
        return existing_order(session=session, user=user, key=idempotency_key, fingerprint=fingerprint), False

    currencies, total = set(), 0
    for position, wanted_line in enumerate(wanted):
        product = catalog.get(session=session, product_id=wanted_line["product_id"])
        line = _order_line(session, order, patient, position, wanted_line, product)
        currencies.add(product.currency)
        total += line.line_total
    if len(currencies) != 1:
        raise ValidationFailed(_("All items must be priced in one currency."), errors={"items": [_("Mixed currencies.")]})
    order.currency, order.total_amount = currencies.pop(), total
    if from_cart:
        for cart_line in session.scalars(select(CartLine).where(CartLine.user_id == user.id)):
            session.delete(cart_line)
    session.flush()
    audit.record(session=session, actor_id=user.id, action=ShopEvent.ORDER_CREATED, subject_type="order",
                 subject_id=order.id, detail={"lines": len(wanted), "total": total})
    return order, True


def _order_line(session: Session, order: Order, patient, position: int, wanted: dict,
                product: Product) -> OrderLine:
    drug = catalog.drug_of(session=session, product=product)
    policy_name = current_app.config["RXLOOP_POLICY"]
    online_sale.require_allowed(drug_id=drug.id, policy_name=policy_name, product_id=product.id,
                                errors={f"items.{position}.product_id": ["Not sold online under this jurisdiction."]})
    units = wanted["quantity"] * product.pack_size
    line = OrderLine(order_id=order.id, position=position, product_id=product.id, drug_id=drug.id,
                     quantity=wanted["quantity"], units=units, unit_price=product.price_amount,
                     line_total=product.price_amount * wanted["quantity"],
                     needs_prescription=catalog.needs_prescription(drug))
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
    session.add(line)
    session.flush()
    for allocation in inventory.reserve(session=session, product_id=product.id, quantity=line.quantity,
                                        days_supply=line.days_supply):
        session.add(LotAllocation(order_line_id=line.id, lot_id=allocation.lot_id,
                                  quantity=allocation.quantity, status="reserved"))
    return line


def _exhausted_in_packs(*, left: int, wanted: int, pack: packs.Pack, form: str) -> str:
    """The refusal in the unit the client ordered in: packs, with the units they hold."""
    whole = left // pack.pack_size
    return n_("Your prescription covers %(num)d more pack (%(units)s) in this fill, not %(wanted)s.",
              "Your prescription covers %(num)d more packs (%(units)s) in this fill, not %(wanted)s.", whole,
              units=packs.units_text(left, form), wanted=packs.packs_text(wanted, pack.pack_size, form))
