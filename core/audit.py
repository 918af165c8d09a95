"""The append-only audit log: entries, the sealer that chains them, signed checkpoints, verify().

Appending takes no global lock. Each entry is inserted inside its business transaction with
a sequence number and the hash of its own content. The sealer, a job that runs apart from
requests (`seal`), later chains the committed entries in sequence order into `audit_seals`
(one row per entry: sha256 over the previous seal, the seq and the entry's hash), and
`checkpoint` signs the sealed head with the Ed25519 key of AUDIT_SIGNING_KEY. On PostgreSQL
triggers refuse UPDATE, DELETE and TRUNCATE on all three tables (migration 0007), so the
sealer never updates an entry: it only inserts seals.

When is it safe to seal up to seq N? Never while a transaction holding a seq ≤ N might still
commit: its entry would appear below the sealed head, outside the chain. On PostgreSQL the
insert trigger takes a *shared* transaction-level advisory lock before it draws the seq, and
holds it until its transaction ends (the audit insert is the last statement before COMMIT,
so that is milliseconds); shared locks never wait for each other, so appenders do not
serialise. The sealer briefly takes the same lock *exclusively* (waiting at most
SEAL_LOCK_TIMEOUT for the appenders in flight; new appenders wait behind it for that moment),
reads the sequence's last value N and lets go: every seq ≤ N now belongs to a transaction
that has committed (its entry is visible) or rolled back (a gap, forever). A fixed time lag
would be cheaper still but wrong for a transaction that stalls between its insert and its
commit; pg_snapshot_xmin counts every database of the cluster and transactions that hold no
seq yet, so it would stall the sealer behind unrelated work. On SQLite writers are
serialised (BEGIN IMMEDIATE), so whatever the sealer sees is settled.

Sealing is idempotent and resumable: it starts after the highest sealed seq, in its own unit
of work; a crash rolls back that run's seals and the next run does them again.
"""

import hashlib
import json
from collections import deque
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, event, func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import signing
from core.db import Base, is_postgres, utcnow
from core.pagination import Page, paginate

GENESIS = "0" * 64
SEQ = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid
APPEND_LOCK = 0x72786C6F6F70_01  # the advisory lock appenders share and the sealer takes alone
SEALER_LOCK = 0x72786C6F6F70_02  # one sealer at a time
SEAL_LOCK_TIMEOUT = "200ms"
SEAL_BATCH = 10_000


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_id", "actor_id"),
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        Index("ix_audit_entries_patient_id_seq", "patient_id", "seq"),
    )

    # Drawn by the insert trigger on PostgreSQL (after the shared append lock), the rowid on SQLite.
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    # Whose data this entry is about, when it is a patient's: their accounting of disclosures.
    patient_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]]
    hash: Mapped[str] = mapped_column(String(64))  # of the entry's own content (content_hash)


class AuditSeal(Base):
    """One committed entry chained by the sealer: hash = sha256(previous seal's hash, seq, entry hash)."""

    __tablename__ = "audit_seals"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The sealed head at a moment, signed: cutting, deleting or recomputing the chain behind it shows."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_seq", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(entry) -> str:
    """The hash of what an entry says (its seq is bound by its seal, since the database draws it)."""
    return hashlib.sha256(_json({
        "at": entry["at"].isoformat() if isinstance(entry, dict) else entry.at.isoformat(),
        **{name: entry[name] if isinstance(entry, dict) else getattr(entry, name)
           for name in ("actor_id", "action", "subject_type", "subject_id", "patient_id", "detail")},
    }).encode()).hexdigest()


def seal_hash(prev_hash: str, seq: int, entry_hash: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{entry_hash}".encode()).hexdigest()


def checkpoint_message(*, seq: int, hash: str, at: datetime, key_id: str) -> bytes:
    """What a checkpoint's signature covers."""
    return _json({"seq": seq, "hash": hash, "at": at.isoformat(), "key_id": key_id}).encode()


class AuditEvent(StrEnum):
    """What happened, by name: each context declares its events as a subclass (shop/events.py,
    consult/events.py, core/identity/events.py), so every action can be found by name and a
    mistyped one fails where it is written, not in the log."""


def record(*, session: Session, actor_id: str | None, action: AuditEvent, subject_type: str,
           subject_id: str, detail: dict | None = None, patient_id: str | None = None) -> None:
    """Queue an entry; it is written when the unit of work commits, and sealed soon after.

    `detail` holds ids, codes and counts, never a patient's name, birth date, diagnosis
    or drugs: the log is read by operators, and PHI belongs in the records it points to.
    `patient_id` names the patient whose data the entry is about (their access log lists it).
    """
    if not isinstance(action, AuditEvent):
        raise TypeError(f"audit actions are declared events (an AuditEvent member), not {action!r}")
    session.info.setdefault("audit_pending", []).append(
        dict(at=utcnow(), actor_id=actor_id, action=str(action), subject_type=subject_type,
             subject_id=subject_id, patient_id=patient_id, detail=detail or {})
    )


def record_read(*, session: Session, reader, action: AuditEvent, subject_type: str, subject_id: str,
                patient_id: str | None, refused: bool = False) -> None:
    """A staff member's read of a patient's data, or anyone's refused read of it: one row in the
    commit's single insert, no lock. A refused read is written even though its request rolls
    back (core/db.finish_request_session commits what survives). A patient's reads of their
    own records are no disclosure and are not recorded.
    """
    if reader is None or (reader.role == "patient" and not refused):
        return
    detail = {"role": reader.role, **({"refused": True} if refused else {})}
    record(session=session, actor_id=reader.id, action=action, subject_type=subject_type,
           subject_id=subject_id, patient_id=patient_id, detail=detail)
    if refused:  # kept apart from the unit of work's entries, which a rollback drops
        session.info.setdefault("audit_refused", []).append(session.info["audit_pending"].pop())


def record_list_read(*, session: Session, reader, action: AuditEvent, subject_type: str,
                     subjects: list[tuple[str, str]]) -> None:
    """A staff member's read of a page of records, given as (id, patient id) pairs: one entry per
    patient on the page, naming the records of theirs it showed, all in the commit's one insert."""
    if reader is None or reader.role == "patient":
        return
    by_patient: dict[str, list[str]] = {}
    for subject_id, patient_id in subjects:
        by_patient.setdefault(patient_id, []).append(subject_id)
    for patient_id, ids in by_patient.items():
        record(session=session, actor_id=reader.id, action=action, subject_type="patient", subject_id=patient_id,
               patient_id=patient_id, detail={"role": reader.role, f"{subject_type}_ids": ids})


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending = session.info.pop("audit_refused", []) + session.info.pop("audit_pending", [])
    if not pending or not session.info.get("audit_enabled", True):
        return
    # Business writes first: the audit insert is the last statement before COMMIT, so the
    # append lock its trigger takes (PostgreSQL) is held for the commit alone.
    session.flush()
    session.execute(insert(AuditEntry), [dict(values, hash=content_hash(values)) for values in pending])


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """Entries die with their unit of work; refused reads (`audit_refused`) do not: the refusal happened."""
    session.info.pop("audit_pending", None)


def sealed_head(*, session: Session) -> tuple[int, str]:
    last = session.execute(select(AuditSeal.seq, AuditSeal.hash).order_by(AuditSeal.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def _settled_horizon(session: Session) -> int | None:
    """The highest seq whose transaction has certainly ended; None when appenders hold the lock too long."""
    if not is_postgres(session):
        return None  # SQLite: writers are serialised, everything visible is settled
    timeout = session.scalar(text("SELECT current_setting('lock_timeout')"))
    try:
        with session.begin_nested():
            session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": SEAL_LOCK_TIMEOUT})
            session.execute(text("SELECT pg_advisory_lock(:k)"), {"k": APPEND_LOCK})
    except OperationalError:  # lock_timeout: a transaction is slow between its insert and its commit
        return -1
    try:
        last_value, is_called = session.execute(
            text("SELECT last_value, is_called FROM audit_entries_seq")).one()
    finally:
        session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": APPEND_LOCK})
        session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
    return last_value if is_called else last_value - 1


def seal(*, session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain committed, unsealed entries onto the sealed head in seq order; returns how many."""
    if is_postgres(session) and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEALER_LOCK}):
        return 0  # another sealer is at work
    horizon = _settled_horizon(session)
    if horizon == -1:
        return 0
    head_seq, head_hash = sealed_head(session=session)
    stmt = select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq > head_seq)
    if horizon is not None:
        stmt = stmt.where(AuditEntry.seq <= horizon)
    rows = session.execute(stmt.order_by(AuditEntry.seq).limit(limit)).all()
    seals = []
    for seq, entry_hash in rows:
        head_hash = seal_hash(head_hash, seq, entry_hash)
        seals.append({"seq": seq, "hash": head_hash})
    if seals:
        session.execute(insert(AuditSeal), seals)
    return len(seals)


def checkpoint(*, session: Session, key) -> AuditCheckpoint:
    """Seal what is settled, then sign the sealed head and store the checkpoint."""
    while seal(session=session) == SEAL_BATCH:
        pass
    seq, head_hash = sealed_head(session=session)
    key_id = signing.key_id(key.public_key())
    at = utcnow()
    made = AuditCheckpoint(seq=seq, hash=head_hash, at=at, key_id=key_id,
                           signature=signing.sign(key, checkpoint_message(seq=seq, hash=head_hash, at=at, key_id=key_id)))
    session.add(made)
    session.flush()
    return made


def checkpoint_as_dict(made: AuditCheckpoint) -> dict:
    """A checkpoint as exported (`flask audit-checkpoint`, the API): keep copies outside the database."""
    return {"seq": made.seq, "hash": made.hash, "at": made.at.isoformat(), "key_id": made.key_id,
            "signature": made.signature}


def _bad(count: int, seq: int, reason: str, extra: dict) -> dict:
    return {"ok": False, "entries": count, "first_bad": seq, "reason": reason, **extra}


def verify(*, session: Session, public_key, anchors: list[dict] | None = None, batch: int = 5000) -> dict:
    """Check every entry's own hash, the sealed chain, and the chain against every signed checkpoint.

    An edited entry fails its own hash; a sealed entry deleted, or edited with its hash
    recomputed, breaks the chain at its seq; an entry slipped into a gap below the sealed
    head was never sealed; a chain recomputed forward, or its tail cut, no longer meets the
    checkpoints signed before (first_bad is then the first seq after the last checkpoint that
    still holds, or the first missing seq). `anchors` are checkpoints kept outside the
    database (as exported), checked like the stored ones: deleting the latest stored
    checkpoints does not hide a cut tail from them.
    """
    stored = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq, AuditCheckpoint.id)
                             .execution_options(populate_existing=True)).all()
    points = sorted([checkpoint_as_dict(c) for c in stored] + list(anchors or []), key=lambda c: c["seq"])
    key_id = signing.key_id(public_key)
    latest = points[-1]["seq"] if points else None
    extra = {"sealed": 0, "checkpoint": latest}
    count, prev_hash, last_sealed, last_good_point = 0, GENESIS, 0, 0
    for point in points:
        message = checkpoint_message(seq=point["seq"], hash=point["hash"],
                                     at=datetime.fromisoformat(point["at"]), key_id=point["key_id"])
        if point["key_id"] != key_id or not signing.is_valid(public_key, message, point["signature"]):
            return _bad(count, point["seq"], "a checkpoint's signature is not valid", extra)
    pending = deque(points)
    top_seal = session.scalar(select(func.max(AuditSeal.seq))) or 0
    top = max(session.scalar(select(func.max(AuditEntry.seq))) or 0, top_seal)
    low = 0
    while low < top:
        high = low + batch
        entries = {e.seq: e for e in session.scalars(  # as stored now, not as this session last saw them
            select(AuditEntry).where(AuditEntry.seq > low, AuditEntry.seq <= high)
            .execution_options(populate_existing=True))}
        seals = dict(session.execute(
            select(AuditSeal.seq, AuditSeal.hash).where(AuditSeal.seq > low, AuditSeal.seq <= high)).all())
        for seq in sorted(entries.keys() | seals.keys()):
            entry = entries.get(seq)
            if entry is not None:
                count += 1
                if content_hash(entry) != entry.hash:
                    return _bad(count, seq, "an entry differs from its hash", extra)
            if seq not in seals:
                if seq < top_seal:
                    return _bad(count, seq, "an entry below the sealed head was never sealed", extra)
                continue
            if pending and pending[0]["seq"] < seq:  # a checkpoint's head is no longer in the chain
                return _bad(count, last_sealed + 1, "the chain no longer reaches a signed checkpoint", extra)
            if entry is None:
                return _bad(count, seq, "a sealed entry is missing", extra)
            prev_hash = seal_hash(prev_hash, seq, entry.hash)
            if prev_hash != seals[seq]:
                return _bad(count, seq, "the chain is broken", extra)
            last_sealed = extra["sealed"] = seq
            while pending and pending[0]["seq"] == seq:
                if pending.popleft()["hash"] != prev_hash:
                    return _bad(count, last_good_point + 1, "the chain differs from a signed checkpoint", extra)
                last_good_point = seq
        low = high
    while pending:
        point = pending.popleft()
        if point["seq"] == 0 and point["hash"] == GENESIS:
            continue
        return _bad(count, last_sealed + 1, "the chain no longer reaches a signed checkpoint", extra)
    return {"ok": True, "entries": count, "first_bad": None, "reason": None, **extra}


def list_entries(*, session: Session, actor: str | None = None, subject: str | None = None,
                 action: str | None = None, limit: int | None = None,
                 cursor: str | None = None) -> Page:
    """Entries oldest first; `subject` is an id or `type:id`."""
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor_id == actor)
    if subject:
        kind, _, ident = subject.rpartition(":")
        stmt = stmt.where(AuditEntry.subject_id == ident)
        if kind:
            stmt = stmt.where(AuditEntry.subject_type == kind)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return paginate(session, stmt, keys=(AuditEntry.seq,), limit=limit, cursor=cursor)


def list_checkpoints(*, session: Session, limit: int | None = None, cursor: str | None = None) -> Page:
    """Checkpoints newest first."""
    return paginate(session, select(AuditCheckpoint), keys=(AuditCheckpoint.id,), limit=limit,
                    cursor=cursor, descending=True)


def list_accesses(*, session: Session, patient_id: str, limit: int | None = None,
                  cursor: str | None = None) -> Page:
    """Who read (or tried to read) a patient's data, newest first."""
    stmt = select(AuditEntry).where(AuditEntry.patient_id == patient_id, AuditEntry.actor_id.is_not(None))
    return paginate(session, stmt, keys=(AuditEntry.seq,), limit=limit, cursor=cursor, descending=True)
