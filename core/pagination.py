"""Keyset pagination: `?limit=&cursor=` → `{items, next_cursor}` with an opaque cursor."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import TypeDecorator, and_, or_
from sqlalchemy.orm import Session

from core.admission import is_storable
from core.errors import ValidationFailed
from core.i18n import _

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def _encode(values) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(_("The cursor is not valid."), errors={"cursor": [_("Invalid cursor.")]})


def _python_type(key) -> type:
    column_type = key.type
    if isinstance(column_type, TypeDecorator):  # UTCDateTime and the like: the type they store
        column_type = column_type.impl_instance
    return column_type.python_type


def _value(key, value):
    """One decoded cursor value as its key column holds it; ValidationFailed if it cannot be."""
    if value is None:
        if key.expression.nullable:
            return None
        raise _invalid_cursor()
    kind = _python_type(key)
    if kind is datetime:
        if not (isinstance(value, dict) and value.keys() == {"t"} and isinstance(value["t"], str)):
            raise _invalid_cursor()
        try:
            moment = datetime.fromisoformat(value["t"])
            if moment.tzinfo is None:  # every time we store, so every cursor we issue, is UTC
                raise ValueError("a time without its offset")
            return moment.astimezone(UTC)  # year 1 at +14:00 is no time in UTC: OverflowError
        except (ValueError, OverflowError):
            raise _invalid_cursor() from None
    if kind is int:
        # bool is an int to Python, not to the database; both databases hold 64 bits at most.
        if type(value) is not int or not _INT64_MIN <= value <= _INT64_MAX:
            raise _invalid_cursor()
        return value
    if kind is str:
        if not isinstance(value, str) or not is_storable(value):
            raise _invalid_cursor()
        return value
    raise _invalid_cursor()


def _decode(cursor: str, keys) -> list:
    """The key values a cursor carries, each checked against its column; else a 422.

    Explicit checks, never `assert`: `python -O` strips asserts, and a tampered cursor would
    then reach the database as a list of the wrong length or of the wrong types.
    """
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):  # not base64, not UTF-8, not JSON, nested absurdly
        raise _invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise _invalid_cursor()
    return [_value(key, value) for key, value in zip(keys, values)]


def paginate(session: Session, stmt, *, keys, limit: int | None, cursor: str | None,
             descending: bool = False, scalars: bool = True) -> Page:
    """Page through `stmt` ordered by `keys` (columns that together are unique)."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if cursor:
        after = _decode(cursor, keys)
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
        next_cursor = _encode([_key_value(last, k) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)


def cursor_values(cursor: str, keys) -> list:
    """The key values an opaque cursor carries, checked against `keys`; else a 422 (ValidationFailed).
    For a query that pages itself (catalog search) rather than through paginate()."""
    return _decode(cursor, keys)


def cursor_of(values) -> str:
    """The opaque cursor of the last row's key values."""
    return _encode(values)


def _key_value(row, key):
    """A key's value in a result row: an attribute of the row (a column, or an expression selected
    under a label beside an entity, such as a search rank), else of the row's entity."""
    if hasattr(row, key.key):
        return getattr(row, key.key)
    return getattr(row[0], key.key)
