"""The formulary in the database: synced from the data files, searched by clinicians and the catalogue."""

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from consult.formulary import get_formulary
from consult.models import Drug
from core import search_text
from core.errors import NotFound
from core.i18n import _
from core.pagination import Page, paginate

SYNCED_FIELDS = ("generic_name", "generic_name_zh", "strength", "form", "route", "atc_code", "rx_class",
                 "us_schedule", "cn_special_class", "therapeutic_class")


def _values(source) -> dict:
    values = {name: getattr(source, name) for name in SYNCED_FIELDS}
    values["brand_names_zh"] = list(source.brand_names_zh)
    values["synonyms"] = list(source.synonyms)
    values["search_key"] = search_text.key([source.generic_name, source.generic_name_zh, *source.brand_names_zh])
    values["synonyms_key"] = search_text.key(source.synonyms)
    return values


def sync(*, session: Session) -> int:
    """Upsert every formulary drug; drugs gone from the files are deactivated, never deleted
    (prescriptions keep pointing at them). Returns the number of rows changed.
    """
    formulary = get_formulary()
    existing = {d.id: d for d in session.scalars(select(Drug))}
    changed = 0
    for drug_id, source in formulary.drugs.items():
        values = _values(source)
        values["formulary_version"] = str(formulary.version)
        row = existing.pop(drug_id, None)
        if row is None:
            session.add(Drug(id=drug_id, active=True, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()) or not row.active:
            for key, value in values.items():
                setattr(row, key, value)
            row.active = True
            changed += 1
    for row in existing.values():
        if row.active:
            row.active = False
            changed += 1
    session.flush()
    return changed


def get(*, session: Session, drug_id: str) -> Drug:
    drug = session.get(Drug, drug_id)
    if drug is None:
        raise NotFound(_("No such drug in the formulary."))
    return drug


def ranks(*, session: Session, term: str, rx_class: str | None = None) -> dict[str, int]:
    """The active drugs a folded term finds, each with how well it matches (core.search_text):
    by name in English or Chinese, by pinyin in full or by initials, by brand, by ATC code
    prefix (as a prefix), or only by a synonym. One query of the small formulary table."""
    if not term:
        return {}
    pattern = search_text.like_pattern(term)
    stmt = select(Drug.id, Drug.search_key, Drug.synonyms_key, Drug.atc_code).where(
        Drug.active.is_(True),
        or_(Drug.search_key.like(pattern, escape="\\"), Drug.synonyms_key.like(pattern, escape="\\"),
            Drug.atc_code.startswith(term.upper(), autoescape=True)))
    if rx_class:
        stmt = stmt.where(Drug.rx_class == rx_class)
    found = {}
    for drug_id, names_key, synonyms_key, atc_code in session.execute(stmt):
        by_name = search_text.rank(term, names_key, synonyms_key)
        by_atc = search_text.PREFIX if atc_code.lower().startswith(term) else None
        found[drug_id] = min(r for r in (by_name, by_atc) if r is not None)
    return found


def rank_of(column, ranks_found: dict[str, int]):
    """A SQL expression giving each row the rank its drug (`column`) was found with."""
    by_rank = {}
    for drug_id, rank in ranks_found.items():
        by_rank.setdefault(rank, []).append(drug_id)
    whens = [(column.in_(ids), rank) for rank, ids in sorted(by_rank.items())]
    return case(*whens, else_=search_text.SYNONYM + 1) if whens else None


def search(*, session: Session, q: str | None, rx_class: str | None = None,
           limit: int | None = None, cursor: str | None = None) -> Page:
    """Drugs by any of their names, best match first (exact, prefix, inside a name, synonym)."""
    term = search_text.fold(q or "")
    stmt = select(Drug).where(Drug.active.is_(True))
    if rx_class:
        stmt = stmt.where(Drug.rx_class == rx_class)
    if not term:
        return paginate(session, stmt, keys=(Drug.id,), limit=limit, cursor=cursor)
    found = ranks(session=session, term=term, rx_class=rx_class)
    if not found:
        return Page(items=[], next_cursor=None)
    rank = rank_of(Drug.id, found).label("search_rank")
    page = paginate(session, stmt.add_columns(rank).where(Drug.id.in_(found)), keys=(rank, Drug.id),
                    limit=limit, cursor=cursor, scalars=False)
    return Page(items=[row[0] for row in page.items], next_cursor=page.next_cursor)
