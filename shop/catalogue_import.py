"""Loading products and their stock lots from a CSV file (`flask import-catalogue FILE.csv`): all rows or none.

One row is a product and, optionally, one lot of it; a product with several lots takes several rows with the same
SKU (and the same product columns). Every row is checked, and every problem reported with its line number, before
anything is kept: a file with one bad row imports nothing.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Drug
from core.db import utcnow
from core.errors import DomainError, ValidationFailed
from core.i18n import _
from shop import catalog, inventory
from shop.models import Product

PRODUCT_COLUMNS = ("sku", "name", "drug_id", "pack_size", "price_amount", "currency")
LOT_COLUMNS = ("lot_number", "expiry_date", "quantity")
CURRENCY = re.compile(r"^[a-z]{3}$")


@dataclass(frozen=True)
class Imported:
    products: int  # created
    lots: int  # received


class CatalogueImportFailed(ValidationFailed):
    """Rows refused (`errors`: "line N" → messages): nothing was imported."""


def read(stream: IO[str]) -> list[tuple[int, dict]]:
    """The rows with their line numbers (the header is line 1); a missing column refuses the whole file."""
    reader = csv.DictReader(stream)
    missing = [c for c in PRODUCT_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise CatalogueImportFailed(_("The file lacks columns: %(columns)s.", columns=", ".join(missing)),
                                    errors={"line 1": [_("Missing column %(name)s.", name=c) for c in missing]})
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]


def _whole(text: str, *, minimum: int) -> int | None:
    return int(text) if re.fullmatch(r"\d{1,9}", text) and int(text) >= minimum else None


def _check(row: dict, drugs: set[str], today: date) -> tuple[dict, dict | None, list[str]]:
    """The product and lot a row describes, and what is wrong with it."""
    problems = []
    if not 1 <= len(row.get("sku", "")) <= 64:
        problems.append(_("sku: 1 to 64 characters."))
    if not 1 <= len(row.get("name", "")) <= 200:
        problems.append(_("name: 1 to 200 characters."))
    if row.get("drug_id") not in drugs:
        problems.append(_("drug_id: %(id)s is not in the formulary (run flask formulary-sync first).",
                          id=row.get("drug_id") or "''"))
    pack_size = _whole(row.get("pack_size", ""), minimum=1)
    if pack_size is None:
        problems.append(_("pack_size: a whole number of units, at least 1."))
    price = _whole(row.get("price_amount", ""), minimum=0)
    if price is None:
        problems.append(_("price_amount: a whole number of minor units (fen, cents), 0 or more."))
    if not CURRENCY.match(row.get("currency", "")):
        problems.append(_("currency: three lowercase letters, e.g. cny."))
    product = {"sku": row.get("sku"), "name": row.get("name"), "drug_id": row.get("drug_id"), "pack_size": pack_size,
               "price": {"amount": price, "currency": row.get("currency")}}
    given = [c for c in LOT_COLUMNS if row.get(c)]
    if not given:
        return product, None, problems
    if len(given) != len(LOT_COLUMNS):
        problems.append(_("A lot needs lot_number, expiry_date and quantity together."))
        return product, None, problems
    try:
        expiry = date.fromisoformat(row["expiry_date"])
    except ValueError:
        expiry = None
        problems.append(_("expiry_date: a date as YYYY-MM-DD."))
    if expiry is not None and expiry <= today:
        problems.append(_("expiry_date: expired stock cannot be received."))
    quantity = _whole(row["quantity"], minimum=1)
    if quantity is None:
        problems.append(_("quantity: a whole number of packs, at least 1."))
    if len(row["lot_number"]) > 64:
        problems.append(_("lot_number: at most 64 characters."))
    return product, {"lot_number": row["lot_number"], "expiry_date": expiry, "quantity": quantity}, problems


def load(*, session: Session, rows: list[tuple[int, dict]], actor_id: str | None = None) -> Imported:
    """Create the products and receive the lots of `rows`, or raise CatalogueImportFailed listing every bad row.

    The caller's unit of work rolls everything back on that error. A SKU already in the catalogue takes the new
    lots when the row describes the same product (drug and pack size); rows repeating a SKU must agree."""
    drugs = set(session.scalars(select(Drug.id).where(Drug.active.is_(True))))
    today = utcnow().date()
    errors: dict[str, list[str]] = {}
    seen: dict[str, tuple[int, dict]] = {}
    products = lots = 0
    for line, row in rows:
        product, lot, problems = _check(row, drugs, today)
        if not problems:
            first = seen.setdefault(product["sku"], (line, product))
            if first[1] != product:
                problems.append(_("sku %(sku)s: the product columns differ from line %(line)d.",
                                  sku=product["sku"], line=first[0]))
        if not problems:
            try:
                existing = session.scalar(select(Product).where(Product.sku == product["sku"]))
                if existing is None:
                    existing = catalog.create(session=session, actor_id=actor_id, **product)
                    products += 1
                elif (existing.drug_id, existing.pack_size) != (product["drug_id"], product["pack_size"]):
                    problems.append(_("sku %(sku)s is already in the catalogue as another drug or pack size.",
                                      sku=product["sku"]))
                if lot is not None and not problems:
                    inventory.receive(session=session, actor_id=actor_id, product_id=existing.id, **lot)
                    lots += 1
            except DomainError as exc:
                problems.append(exc.detail)
        if problems:
            errors[f"line {line}"] = problems
    if errors:
        raise CatalogueImportFailed(_("%(count)d row(s) refused: nothing was imported.", count=len(errors)),
                                    errors=errors)
    return Imported(products=products, lots=lots)
