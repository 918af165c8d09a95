"""Products and stock in one line."""

import itertools
from datetime import date, timedelta

from shop.models import InventoryLot, Product
from tests.factories.consult import ensure_formulary

_counter = itertools.count(1)
ADDRESS = {"name": "Zhang San", "line1": "1 Jianguo Rd", "city": "Beijing", "postal_code": "100000",
           "country": "CN", "phone": "+86 138 0000 0000"}


def make_product(session, drug_id="paracetamol-500mg-tab", *, pack_size=20, price=1200, currency="cny",
                 stock=100, expiry_days=365, name=None, name_zh=None, active=True):
    ensure_formulary(session)
    n = next(_counter)
    product = Product(sku=f"SKU-{n}-{id(session) % 1000}", name=name or f"{drug_id} x{pack_size} #{n}",
                      name_zh=name_zh, drug_id=drug_id, pack_size=pack_size, price_amount=price, currency=currency,
                      active=active)
    session.add(product)
    session.flush()
    if stock:
        add_lot(session, product, stock, expiry_days=expiry_days)
    session.commit()
    return product


def add_lot(session, product, quantity, *, expiry_days=365, lot_number=None, recalled=False):
    lot = InventoryLot(product_id=product.id, lot_number=lot_number or f"L{next(_counter):05d}",
                       expiry_date=date.today() + timedelta(days=expiry_days), on_hand=quantity,
                       reserved=0, recalled=recalled)
    session.add(lot)
    session.commit()
    return lot
