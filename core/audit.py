"""The append-only, hash-chained audit log, and verify() that recomputes the chain."""

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.pagination import Page, paginate

GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_actor_id", "actor_id"),
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's single head row: appends lock it, so concurrent writers never fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


def canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor_id": entry.actor_id,
            "action": entry.action,
            "subject_type": entry.subject_type,
            "subject_id": entry.subject_id,
            "detail": entry.detail,
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


class AuditEvent(StrEnum):
    """What happened, by name: each context declares its events as a subclass (shop/events.py,
    consult/events.py, core/identity/events.py), so every action can be found by name and a
    mistyped one fails where it is written, not in the log."""


def record(*, session: Session, actor_id: str | None, action: AuditEvent, subject_type: str,
           subject_id: str, detail: dict | None = None) -> None:
    """Queue an entry; it is chained and written when the unit of work commits.

    `detail` holds ids, codes and counts, never a patient's name, birth date, diagnosis
    or drugs: the log is read by operators, and PHI belongs in the records it points to.
    """
    if not isinstance(action, AuditEvent):
        raise TypeError(f"audit actions are declared events (an AuditEvent member), not {action!r}")
    session.info.setdefault("audit_pending", []).append(
        dict(at=utcnow(), actor_id=actor_id, action=action, subject_type=subject_type,
             subject_id=subject_id, detail=detail or {})
    )


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    # The head row is locked only for the commit itself, so audited transactions queue
    # for a moment at the end rather than for their whole length.
    # The head row is created by the first migration, so there is always one to lock.
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update()
                          .execution_options(populate_existing=True))
    for values in pending:
        entry = AuditEntry(seq=head.seq + 1, prev_hash=head.hash, **values)
        entry.hash = chain_hash(head.hash, entry)
        session.add(entry)
        session.flush()
        head.seq, head.hash = entry.seq, entry.hash
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("audit_pending", None)


def verify(*, session: Session, batch: int = 5000) -> dict:
    """Recompute the chain; an edited, deleted or inserted row breaks it at that seq."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            count += 1
            if (entry.seq != expected_seq or entry.prev_hash != prev_hash
                    or chain_hash(prev_hash, entry) != entry.hash):
                return {"ok": False, "entries": count, "first_bad": expected_seq}
            prev_hash, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != prev_hash:
        # The tail was cut off (or the head tampered with): the first missing entry is bad.
        return {"ok": False, "entries": count, "first_bad": min(last_seq, head_seq) + 1}
    return {"ok": True, "entries": count, "first_bad": None}


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
