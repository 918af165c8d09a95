"""A patient's cart: lines of products, each saying whether a prescription is needed and covers it."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import patients
from consult import dispensing
from consult.models import Drug
from core.db import utcnow
from core.errors import NotFound
from core.identity.models import User
from shop import catalog
from shop.models import CartLine, Product
from core.i18n import _


def lines(*, session: Session, user: User, policy: str) -> list[dict]:
    cart = list(session.scalars(select(CartLine).where(CartLine.user_id == user.id)
                                .order_by(CartLine.updated_at, CartLine.product_id)))
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_([c.product_id for c in cart])))}
    described = {d["id"]: d for d in catalog.describe(session=session, products=list(products.values()), policy=policy)}
    patient_id = patients.of_user(session=session, user=user).id
    result = []
    for line in cart:
        product = described[line.product_id]
        needs = product["needs_prescription"]
        covered = None
        if needs:
            covered = dispensing.covers(session=session, patient_id=patient_id, drug_id=product["drug"].id,
                                quantity=line.quantity * product["pack_size"],
                                prescription_id=line.prescription_id)
        price = product["price"]
        result.append({"product": product, "quantity": line.quantity,
                       "prescription_id": line.prescription_id, "needs_prescription": needs,
                       "prescription_covers": covered,
                       "subtotal": {"amount": price["amount"] * line.quantity, "currency": price["currency"]}})
    return result


def contents(*, session: Session, user: User, policy: str) -> dict:
    """The cart as the API shows it: its lines and their total (null when empty or in mixed currencies)."""
    described = lines(session=session, user=user, policy=policy)
    currencies = {line["subtotal"]["currency"] for line in described}
    total = None
    if len(currencies) == 1:
        total = {"amount": sum(line["subtotal"]["amount"] for line in described), "currency": currencies.pop()}
    return {"lines": described, "total": total}


def put(*, session: Session, user: User, product_id: str, quantity: int,
        prescription_id: str | None = None) -> None:
    product = catalog.get(session=session, product_id=product_id)
    if session.get(Drug, product.drug_id) is None:
        raise NotFound(_("No such product."))
    line = session.get(CartLine, (user.id, product_id))
    if line is None:
        session.add(CartLine(user_id=user.id, product_id=product_id, quantity=quantity,
                             prescription_id=prescription_id))
    else:
        line.quantity, line.prescription_id, line.updated_at = quantity, prescription_id, utcnow()
    session.flush()


def remove(*, session: Session, user: User, product_id: str) -> None:
    line = session.get(CartLine, (user.id, product_id))
    if line is None:
        raise NotFound(_("This product is not in your cart."))
    session.delete(line)
    session.flush()
