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


# 剂型: the dosage form as a Chinese product name ends (阿莫西林胶囊, 布洛芬片).
FORMS_ZH = {"tablet": "片", "capsule": "胶囊", "modified-release tablet": "缓释片", "modified-release capsule": "缓释胶囊",
            "gastro-resistant tablet": "肠溶片", "gastro-resistant capsule": "肠溶胶囊", "sublingual tablet": "舌下片",
            "chewable tablet": "咀嚼片", "oral solution": "口服溶液", "oral suspension": "口服混悬液",
            "pressurised inhalation": "吸入气雾剂", "cream": "乳膏", "patch": "贴剂"}


def name_zh(drug: Drug) -> str | None:
    """A generic product's Chinese name: 通用名 + 剂型 + strength (布洛芬片 200 mg)."""
    if not drug.generic_name_zh:
        return None
    return f"{drug.generic_name_zh}{FORMS_ZH.get(drug.form, '')} {drug.strength}"


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
                          name_zh=name_zh(drug), drug_id=drug.id, pack_size=_pack_size(drug), price_amount=_price(drug), currency="cny")
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
