"""The catalog: products (sellable packs of formulary drugs) and their availability."""

from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from consult import drugs, online_sale
from consult.packs import Pack
from consult.models import Drug
from core import audit, search_text
from core.db import add_unique, utcnow
from core.errors import NotFound, ValidationFailed
from core.pagination import Page, paginate
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


def _available_of_product(today: date):
    """`available` for the product of the enclosing query, as a column of it."""
    return (select(func.coalesce(func.sum(InventoryLot.on_hand - InventoryLot.reserved), 0))
            .where(InventoryLot.product_id == Product.id, *_sellable(today)).scalar_subquery())


def drug_of(*, session: Session, product: Product) -> Drug:
    """The product's drug: from the identity map when the product's query brought it along."""
    return session.get(Drug, product.drug_id)


def describe(*, session: Session, products: list[Product], policy: str) -> list[dict]:
    """Products as the API shows them: drug, price, availability, prescription notice, whether it is sold online."""
    stock = available(session=session, product_ids=[p.id for p in products])
    return [_described(p, drug_of(session=session, product=p), stock[p.id], policy) for p in products]


def detail(*, session: Session, product_id: str, policy: str) -> dict:
    """One active product as `describe` shows it, read with its drug and availability in one statement."""
    row = session.execute(
        select(Product, _available_of_product(utcnow().date())).where(Product.id == product_id)).first()
    if row is None or not row[0].active:
        raise NotFound(_("No such product."))
    product, stock = row
    return _described(product, drug_of(session=session, product=product), int(stock), policy)


def _described(p: Product, drug: Drug, stock: int, policy: str) -> dict:
    rx = needs_prescription(drug)
    return {
        "id": p.id, "sku": p.sku, "name": p.name, "name_zh": p.name_zh, "drug": drug, "pack_size": p.pack_size,
        "price": {"amount": p.price_amount, "currency": p.currency}, "active": p.active,
        "available_quantity": stock, "needs_prescription": rx, "rx_class": drug.rx_class,
        "risk_notice": (RX_NOTICE_CN if policy == "cn" else RX_NOTICE_US) if rx else None,
        "online_sale": online_sale.status(drug_id=drug.id, policy_name=policy),
    }


def search(*, session: Session, q: str | None = None, rx_class: str | None = None,
           include_inactive: bool = False, limit: int | None = None, cursor: str | None = None) -> Page:
    """Products by any spelling of their names or their drug's: Chinese, pinyin in full or by
    initials, English, brand, synonym, ATC code prefix; best match first (exact, prefix, inside
    a name, synonym only), then by name."""
    stmt, keys = matching(session=session, q=q, rx_class=rx_class, include_inactive=include_inactive)
    if keys[0] is Product.name:
        return paginate(session, stmt, keys=keys, limit=limit, cursor=cursor)
    page = paginate(session, stmt, keys=keys, limit=limit, cursor=cursor, scalars=False)
    return Page(items=[row[0] for row in page.items], next_cursor=page.next_cursor)


def matching(*, session: Session, q: str | None, rx_class: str | None = None, include_inactive: bool = False):
    """The products a search finds, as a statement and the keys to page it by.

    The drugs that match are found (and ranked) first in the small formulary table, so the
    products query is `search_key LIKE '%term%' OR drug_id IN (...)`: the trigram index on the
    folded key and the drug_id index answer it on PostgreSQL (a BitmapOr). Words apart
    ("布洛芬 400") must each be found, in the product's names or its drug's (a BitmapAnd of those
    ORs); the whole term ranks. With a term the statement selects each product with its rank,
    and pages by (rank, name, id).
    """
    stmt = select(Product)
    if not include_inactive:
        stmt = stmt.where(Product.active.is_(True))
    if rx_class:
        stmt = stmt.where(Product.drug_id.in_(select(Drug.id).where(Drug.rx_class == rx_class)))
    term = search_text.fold(q or "")
    if not term:
        return stmt, (Product.name, Product.id)
    found = drugs.ranks(session=session, term=term, rx_class=rx_class)
    by_rank: dict[int, list[str]] = {}
    for drug_id, rank in found.items():
        by_rank.setdefault(rank, []).append(drug_id)
    key = Product.search_key
    own = {search_text.EXACT: key.like(search_text.like_pattern(f"|{term}|"), escape="\\"),
           search_text.PREFIX: key.like(search_text.like_pattern(f"|{term}"), escape="\\"),
           search_text.CONTAINS: key.like(search_text.like_pattern(term), escape="\\")}
    whens = []
    for rank in (search_text.EXACT, search_text.PREFIX, search_text.CONTAINS):
        via_drug = [Product.drug_id.in_(by_rank[rank])] if by_rank.get(rank) else []
        whens.append((or_(own[rank], *via_drug), rank))
    rank = case(*whens, else_=search_text.SYNONYM).label("search_rank")
    words = list(dict.fromkeys(term.split(" ")))[:MAX_SEARCH_WORDS]
    if len(words) == 1:
        found_by = _found_by(key, term, found)
    else:
        found_by = and_(*(_found_by(key, word, drugs.ranks(session=session, term=word, rx_class=rx_class))
                          for word in words))
    return stmt.add_columns(rank).where(found_by), (rank, Product.name, Product.id)


MAX_SEARCH_WORDS = 5  # one formulary query a word: a long query reads its first five


def _found_by(key, term: str, drugs_found: dict[str, int]):
    """A product holds the term in its own names, or its drug is among those the term found."""
    via_drug = [Product.drug_id.in_(list(drugs_found))] if drugs_found else []
    return or_(key.like(search_text.like_pattern(term), escape="\\"), *via_drug)


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
