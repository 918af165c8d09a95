"""Packs of a product as prescribing sees them, and quantities said in the unit the client used.

The catalogue belongs to the shop, and consult may not import shop (shop → consult → core): the
composition root hands this module the catalogue's lookup (`provide`, called in core.app), and
consult only asks it "what is product P: which drug, how many units a pack?".
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.i18n import n_


@dataclass(frozen=True)
class Pack:
    """One sellable pack of a formulary drug: `pack_size` units of `drug_id`."""

    product_id: str
    drug_id: str
    name: str
    pack_size: int

    def as_record(self) -> dict:
        return {"product_id": self.product_id, "drug_id": self.drug_id, "name": self.name,
                "pack_size": self.pack_size}


Lookup = Callable[..., Pack | None]  # lookup(session=…, product_id=…) -> Pack, or None for no active product
_lookup: Lookup | None = None


def provide(lookup: Lookup) -> None:
    """The composition root gives the catalogue's lookup (shop.catalog.pack_of)."""
    global _lookup
    _lookup = lookup


def find(*, session: Session, product_id: str) -> Pack | None:
    if _lookup is None:
        raise RuntimeError("no catalogue lookup provided: create the app with core.app.create_app()")
    return _lookup(session=session, product_id=product_id)


def unit_name(form: str) -> str:
    """The countable unit of a dose form: a 'gastro-resistant tablet' is counted in tablets."""
    last = (form or "").split()[-1].lower() if form else ""
    return last if last in ("tablet", "capsule") else "unit"


def units_text(count: int, form: str) -> str:
    """'21 tablets', '1 capsule', '3 units' (in the client's language)."""
    unit = unit_name(form)
    if unit == "tablet":
        return n_("%(num)d tablet", "%(num)d tablets", count)
    if unit == "capsule":
        return n_("%(num)d capsule", "%(num)d capsules", count)
    return n_("%(num)d unit", "%(num)d units", count)


def packs_text(packs: int, pack_size: int, form: str) -> str:
    """'1 pack (21 tablets)'."""
    return n_("%(num)d pack (%(units)s)", "%(num)d packs (%(units)s)", packs,
              units=units_text(packs * pack_size, form))
