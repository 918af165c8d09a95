"""Keyset pagination: `?limit=&cursor=` → `{items, next_cursor}` with an opaque cursor."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from core.errors import ValidationFailed

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def _encode(values) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, width: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        assert isinstance(values, list) and len(values) == width
        return [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in values]
    except Exception:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": ["Invalid cursor."]}) from None


def paginate(session: Session, stmt, *, keys, limit: int | None, cursor: str | None,
             descending: bool = False, scalars: bool = True) -> Page:
    """Page through `stmt` ordered by `keys` (columns that together are unique)."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if cursor:
        after = _decode(cursor, len(keys))
        clauses = []
        for i, key in enumerate(keys):
            beyond = key < after[i] if descending else key > after[i]
            clauses.append(and_(*[keys[j] == after[j] for j in range(i)], beyond))
        stmt = stmt.where(or_(*clauses))
    order = [k.desc() for k in keys] if descending else list(keys)
    stmt = stmt.order_by(*order).limit(limit + 1)
    result = session.execute(stmt)
    rows = list(result.scalars() if scalars else result.all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _encode([getattr(last, k.key) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)
