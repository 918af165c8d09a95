"""Demo catalog: a product with stock for every formulary drug (development only)."""

import hashlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import demo as consult_demo
from consult import drugs
from consult.models import Drug
from core.db import utcnow
from shop.models import InventoryLot, Product


def _pack_size(drug: Drug) -> int:
    return {"capsule": 21, "tablet": 30}.get(drug.form.split()[0].lower(), 1)


def _price(drug: Drug) -> int:
    """A stable made-up price between ¥9.90 and ¥99.90, so demos read the same every time."""
    return 990 + int(hashlib.sha256(drug.id.encode()).hexdigest(), 16) % 90 * 100


def seed(*, session: Session) -> int:
    drugs.sync(session=session)
    created = consult_demo.seed(session=session)
    existing = set(session.scalars(select(Product.drug_id)))
    today = utcnow().date()
    for drug in session.scalars(select(Drug).where(Drug.active.is_(True)).order_by(Drug.id)):
        if drug.id in existing:
            continue
        product = Product(sku=f"DEMO-{drug.id.upper()}"[:64], name=f"{drug.generic_name.title()} {drug.strength}",
                          drug_id=drug.id, pack_size=_pack_size(drug), price_amount=_price(drug), currency="cny")
        session.add(product)
        session.flush()
        session.add_all([
            InventoryLot(product_id=product.id, lot_number=f"{product.sku[-8:]}-A", on_hand=40, reserved=0,
                         expiry_date=today + timedelta(days=180)),
            InventoryLot(product_id=product.id, lot_number=f"{product.sku[-8:]}-B", on_hand=60, reserved=0,
                         expiry_date=today + timedelta(days=540)),
        ])
        created += 1
    session.flush()
    return created
