"""The catalog: products (sellable packs of formulary drugs) and their availability."""

from datetime import date

from sqlalchemy import Column, Date, Integer, bindparam, func, select
from sqlalchemy.orm import Session

from consult import online_sale
from consult.packs import Pack
from consult.models import Drug
from core import audit, search_text
from core.db import add_unique, utcnow
from core.errors import NotFound, ValidationFailed
from core.pagination import DEFAULT_LIMIT, Page, cursor_of, cursor_values, paginate
from shop import catalog_search
from shop.models import InventoryLot, Product, product_search_key
from shop.events import ShopEvent
from core.i18n import _

# 处方药与非处方药分类管理办法（试行） 第十二条: the notice every Rx product must carry.
RX_NOTICE_CN = "处方药须凭处方在药师指导下购买和使用"
RX_NOTICE_US = "Prescription only: dispensed against a valid prescription after pharmacist review."


def needs_prescription(drug: Drug) -> bool:
    return drug.rx_class != "otc"


def available(*, session: Session, product_ids: list[str], today: date | None = None) -> dict[str, int]:
    """Unexpired, unrecalled, unreserved packs per product, in one query."""
    if not product_ids:
        return {}
    today = today or utcnow().date()
    rows = session.execute(
        select(InventoryLot.product_id, func.sum(InventoryLot.on_hand - InventoryLot.reserved))
        .where(InventoryLot.product_id.in_(product_ids), *_sellable(today))
        .group_by(InventoryLot.product_id))
    found = {product_id: int(total or 0) for product_id, total in rows}
    return {pid: found.get(pid, 0) for pid in product_ids}


def _sellable(today: date):
    """The lots whose packs are available: unexpired and unrecalled."""
    return InventoryLot.recalled.is_(False), InventoryLot.expiry_date > today


# One product with its drug (joined by the relationship) and its available packs, built once: building
# the statement cost a product detail about a fifth of its time (bench/README.md, issue 16).
_DETAIL = select(
    Product,
    select(func.coalesce(func.sum(InventoryLot.on_hand - InventoryLot.reserved), 0))
    .where(InventoryLot.product_id == Product.id, *_sellable(bindparam("today", type_=Date)))
    .scalar_subquery(),
).where(Product.id == bindparam("product_id"))


def drug_of(*, session: Session, product: Product) -> Drug:
    """The product's drug: from the identity map when the product's query brought it along."""
    return session.get(Drug, product.drug_id)


def describe(*, session: Session, products: list[Product], policy: str) -> list[dict]:
    """Products as the API shows them: drug, price, availability, prescription notice, whether it is sold online."""
    stock = available(session=session, product_ids=[p.id for p in products])
    sale = {}  # a page often holds many packs of one drug: ask the policy once a drug
    described = []
    for p in products:
        drug = drug_of(session=session, product=p)
        if drug.id not in sale:
            sale[drug.id] = online_sale.status(drug_id=drug.id, policy_name=policy)
        described.append(_described(p, drug, stock[p.id], policy, sale=sale[drug.id]))
    return described


def detail(*, session: Session, product_id: str, policy: str) -> dict:
    """One active product as `describe` shows it, read with its drug and availability in one statement."""
    row = session.execute(_DETAIL, {"product_id": product_id, "today": utcnow().date()}).first()
    if row is None or not row[0].active:
        raise NotFound(_("No such product."))
    product, stock = row
    return _described(product, drug_of(session=session, product=product), int(stock), policy)


def _described(p: Product, drug: Drug, stock: int, policy: str, *, sale: dict | None = None) -> dict:
    rx = needs_prescription(drug)
    return {
        "id": p.id, "sku": p.sku, "name": p.name, "name_zh": p.name_zh, "drug": drug, "pack_size": p.pack_size,
        "price": {"amount": p.price_amount, "currency": p.currency}, "active": p.active,
        "available_quantity": stock, "needs_prescription": rx, "rx_class": drug.rx_class,
        "risk_notice": (RX_NOTICE_CN if policy == "cn" else RX_NOTICE_US) if rx else None,
        "online_sale": sale if sale is not None else online_sale.status(drug_id=drug.id, policy_name=policy),
    }


def search(*, session: Session, q: str | None = None, rx_class: str | None = None,
           include_inactive: bool = False, limit: int | None = None, cursor: str | None = None) -> Page:
    """Products by any spelling of their names or their drug's: Chinese, pinyin in full or by
    initials, English, brand, synonym, ATC code prefix; best match first (exact, prefix, inside
    a name, synonym only), then by name (shop.catalog_search). Without a term, every product by name."""
    term = search_text.fold(q or "")
    if not term:
        listed = select(Product)
        if not include_inactive:
            listed = listed.where(Product.active.is_(True))
        if rx_class:
            listed = listed.where(Product.drug_id.in_(select(Drug.id).where(Drug.rx_class == rx_class)))
        return paginate(session, listed, keys=(Product.name, Product.id), limit=limit, cursor=cursor)
    limit = DEFAULT_LIMIT if limit is None else limit
    after = cursor_values(cursor, RANKED_KEYS) if cursor else None
    rows = catalog_search.ranked(session=session, term=term, size=limit + 1, after=after, rx_class=rx_class,
                                 include_inactive=include_inactive)
    page = rows[:limit]
    last = page[-1] if len(rows) > limit and page else None
    next_cursor = cursor_of([last.search_rank, last[0].name, last[0].id]) if last else None
    return Page(items=[product for product, _rank in page], next_cursor=next_cursor)


# A ranked page is keyed by (rank, name, id), and its cursor carries the three.
RANKED_KEYS = (Column("search_rank", Integer, nullable=False), Product.name, Product.id)


def pack_of(*, session: Session, product_id: str) -> Pack | None:
    """An active product as prescribing sees it (consult.packs asks through the composition root)."""
    product = session.get(Product, product_id)
    if product is None or not product.active:
        return None
    return Pack(product_id=product.id, drug_id=product.drug_id, name=product.name, pack_size=product.pack_size)


def get(*, session: Session, product_id: str, include_inactive: bool = False) -> Product:
    product = session.get(Product, product_id)
    if product is None or (not product.active and not include_inactive):
        raise NotFound(_("No such product."))
    return product


def create(*, session: Session, actor_id: str, sku: str, name: str, drug_id: str, pack_size: int,
           price: dict, active: bool = True, name_zh: str | None = None) -> Product:
    drug = session.get(Drug, drug_id)
    if drug is None or not drug.active:
        raise ValidationFailed(_("Unknown drug."), errors={"drug_id": [_("Not in the formulary.")]})
    product = Product(sku=sku, name=name, name_zh=name_zh, drug_id=drug_id, pack_size=pack_size,
                      price_amount=price["amount"], currency=price["currency"], active=active)
    add_unique(session, product, conflict=_("A product with this SKU exists."))
    audit.record(session=session, actor_id=actor_id, action=ShopEvent.PRODUCT_CREATED, subject_type="product",
                 subject_id=product.id, detail={"sku": sku})
    return product


def update(*, session: Session, actor_id: str, product_id: str, changes: dict) -> Product:
    product = get(session=session, product_id=product_id, include_inactive=True)
    if "drug_id" in changes and session.get(Drug, changes["drug_id"]) is None:
        raise ValidationFailed(_("Unknown drug."), errors={"drug_id": [_("Not in the formulary.")]})
    price = changes.pop("price", None)
    if price:
        changes["price_amount"], changes["currency"] = price["amount"], price["currency"]
    for key, value in changes.items():
        setattr(product, key, value)
    product.search_key = product_search_key(product.name, product.name_zh)
    product.updated_at = utcnow()
    add_unique(session, product, conflict=_("A product with this SKU exists."))
    audit.record(session=session, actor_id=actor_id, action=ShopEvent.PRODUCT_UPDATED, subject_type="product",
                 subject_id=product.id, detail={"fields": sorted(changes)})
    return product
