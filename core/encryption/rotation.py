"""Key rotation: re-encrypt every stored value under the active key, one committed batch at a time.

Safe to interrupt and run again: a batch commits on its own, and each run picks up only the rows
still holding a value under an older key (a row is rewritten only if it is unchanged since read,
so a concurrent edit is never overwritten). Keyed digests beside a value (`info={"digest_of": …}`)
move with it.
"""

from collections.abc import Callable

from sqlalchemy import Table, and_, column, func, or_, select, table
from sqlalchemy.orm import Session

from core.db import Base, end_unit_of_work
from core.encryption.columns import EncryptedText
from core.encryption.keys import ENVELOPE, KeyRing

UNKNOWN = "(not in the ring)"


def encrypted_columns(metadata=Base.metadata) -> dict[str, list[str]]:
    """Table name → its encrypted columns, from the models' declared types."""
    found = {}
    for model_table in metadata.sorted_tables:
        names = [c.name for c in model_table.columns if isinstance(c.type, EncryptedText)]
        if names:
            found[model_table.name] = names
    return found


def _digest_columns(name: str, metadata=Base.metadata) -> dict[str, str]:
    """Digest column → the encrypted column it is the keyed digest of."""
    model_table: Table = metadata.tables[name]
    return {c.name: c.info["digest_of"] for c in model_table.columns if "digest_of" in c.info}


def _prefix(key_id: str) -> str:
    return f"{ENVELOPE}${key_id}$"


def _under(raw_column, key_id: str):
    prefix = _prefix(key_id)
    return func.substr(raw_column, 1, len(prefix)) == prefix


def count_by_key(*, session: Session, ring: KeyRing) -> dict[str, int]:
    """How many stored values each key id protects (progress of a rotation)."""
    counts = dict.fromkeys(ring.keys, 0)
    counts[UNKNOWN] = 0
    for name, columns in encrypted_columns().items():
        raw = table(name, *(column(c) for c in columns))
        for c in columns:
            known = 0
            for key_id in ring.keys:
                n = session.scalar(select(func.count()).select_from(raw).where(_under(raw.c[c], key_id)))
                counts[key_id] += n
                known += n
            total = session.scalar(select(func.count()).select_from(raw).where(raw.c[c].is_not(None)))
            counts[UNKNOWN] += total - known
    return counts


def rotate_batch(*, session: Session, ring: KeyRing, name: str, batch_size: int) -> int:
    """Re-encrypt up to `batch_size` rows of one table that hold a value under an older key;
    commits, and returns how many rows it rewrote (0: the table is done, or every row left was
    being edited meanwhile: a later run takes those)."""
    columns = encrypted_columns()[name]
    digests = _digest_columns(name)
    raw = table(name, column("id"), *(column(c) for c in [*columns, *digests]))
    stale = or_(*(and_(raw.c[c].is_not(None), ~_under(raw.c[c], ring.active_id)) for c in columns))
    rows = session.execute(select(raw.c.id, *(raw.c[c] for c in columns)).where(stale)
                           .order_by(raw.c.id).limit(batch_size)).mappings().all()
    rewritten = 0
    for row in rows:
        plain = {c: None if row[c] is None else ring.decrypt(row[c]) for c in columns}
        values = {c: None if plain[c] is None else ring.encrypt(plain[c]) for c in columns}
        values.update({d: ring.lookup_digest(plain[source]) for d, source in digests.items()
                       if plain[source] is not None})
        unchanged = [raw.c[c].is_(None) if row[c] is None else raw.c[c] == row[c] for c in columns]
        result = session.execute(raw.update().where(raw.c.id == row["id"], *unchanged).values(values))
        rewritten += result.rowcount
    end_unit_of_work(session)
    return rewritten


def rotate(*, session: Session, ring: KeyRing, batch_size: int = 500,
           progress: Callable[[str, int], None] = lambda name, rows: None) -> int:
    """Rotate every encrypted table; returns the rows rewritten."""
    total = 0
    for name in encrypted_columns():
        while count := rotate_batch(session=session, ring=ring, name=name, batch_size=batch_size):
            total += count
            progress(name, count)
    return total
