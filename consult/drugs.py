"""The formulary in the database: synced from the data files, searched by clinicians."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from consult.formulary import get_formulary
from consult.models import Drug
from core.errors import NotFound
from core.pagination import Page, paginate

SYNCED_FIELDS = ("generic_name", "strength", "form", "route", "atc_code", "rx_class",
                 "us_schedule", "cn_special_class", "therapeutic_class")


def sync(*, session: Session) -> int:
    """Upsert every formulary drug; drugs gone from the files are deactivated, never deleted
    (prescriptions keep pointing at them). Returns the number of rows changed.
    """
    formulary = get_formulary()
    existing = {d.id: d for d in session.scalars(select(Drug))}
    changed = 0
    for drug_id, source in formulary.drugs.items():
        values = {name: getattr(source, name) for name in SYNCED_FIELDS}
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
        raise NotFound("No such drug in the formulary.")
    return drug


def search(*, session: Session, q: str | None, rx_class: str | None = None,
           limit: int | None = None, cursor: str | None = None) -> Page:
    stmt = select(Drug).where(Drug.active.is_(True))
    if q:
        term = q.strip().lower()
        stmt = stmt.where(or_(func.lower(Drug.generic_name).contains(term, autoescape=True),
                              func.lower(Drug.atc_code).startswith(term, autoescape=True)))
    if rx_class:
        stmt = stmt.where(Drug.rx_class == rx_class)
    return paginate(session, stmt, keys=(Drug.id,), limit=limit, cursor=cursor)
