"""Concurrent writers append without waiting for each other, and the sealer keeps one chain."""

import threading

import pytest
from sqlalchemy import insert, select

from core import audit, signing
from core.audit import AuditEntry, AuditSeal
from tests.races.conftest import race
from tests.support.events import TestEvent

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]


def verify(app, database):
    with database.sessionmaker() as session:
        return audit.verify(session=session, public_key=signing.for_app(app).public_key())


def seal_all(database):
    with database.sessionmaker() as session, session.begin():
        return audit.seal(session=session)


def test_sixteen_concurrent_writers_and_a_running_sealer_keep_one_chain(app, committed):
    writing = threading.Event()
    writing.set()
    sealed = []

    def keep_sealing():
        while writing.is_set():
            sealed.append(seal_all(committed))

    sealer = threading.Thread(target=keep_sealing)
    sealer.start()

    def write(i):
        for j in range(5):
            with committed.sessionmaker() as session, session.begin():
                audit.record(session=session, actor_id=f"usr_{i}", action=TestEvent.RACED,
                             subject_type="thing", subject_id=f"{i}-{j}")

    try:
        results = race(16, write)
    finally:
        writing.clear()
        sealer.join(timeout=60)
    assert results == [None] * 16
    sealed.append(seal_all(committed))
    assert sum(sealed) == 80
    result = verify(app, committed)
    assert (result["ok"], result["entries"], result["first_bad"]) == (True, 80, None)
    with committed.sessionmaker() as session:
        assert session.scalars(select(AuditSeal.seq).order_by(AuditSeal.seq)).all() == \
            session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()


def test_the_sealer_never_seals_past_a_transaction_that_may_still_commit(app, committed, monkeypatch):
    monkeypatch.setattr(audit, "SEAL_LOCK_TIMEOUT", "50ms")
    slow = committed.sessionmaker()
    slow.begin()
    # As the commit listener does, but the transaction then stalls before its COMMIT.
    values = {"at": audit.utcnow(), "actor_id": "usr_slow", "action": "race.write", "subject_type": "thing",
              "subject_id": "slow", "patient_id": None, "detail": {}}
    slow.execute(insert(AuditEntry), {**values, "hash": audit.content_hash(values)})
    try:
        with committed.sessionmaker() as session, session.begin():  # a later seq, committed first
            audit.record(session=session, actor_id="usr_fast", action=TestEvent.RACED, subject_type="thing",
                         subject_id="fast")
        assert seal_all(committed) == 0  # the slow transaction holds a smaller seq: wait for it
        slow.commit()
    finally:
        slow.close()
    assert seal_all(committed) == 2
    with committed.sessionmaker() as session:
        assert session.scalars(select(AuditEntry.subject_id).join(AuditSeal, AuditSeal.seq == AuditEntry.seq)
                               .order_by(AuditSeal.seq)).all() == ["slow", "fast"]
    assert verify(app, committed)["ok"] is True


def test_a_rolled_back_writer_leaves_a_gap_that_the_sealer_steps_over(app, committed):
    with committed.sessionmaker() as session, session.begin():
        audit.record(session=session, actor_id="usr_a", action=TestEvent.RACED, subject_type="thing", subject_id="a")
    with committed.sessionmaker() as rolled_back:  # drew a seq, then rolled back: a gap
        rolled_back.execute(insert(AuditEntry), {"at": audit.utcnow(), "actor_id": "usr_b", "action": "race.write",
                                                 "subject_type": "thing", "subject_id": "b", "detail": {},
                                                 "hash": "0" * 64})
        rolled_back.rollback()
    with committed.sessionmaker() as session, session.begin():
        audit.record(session=session, actor_id="usr_c", action=TestEvent.RACED, subject_type="thing", subject_id="c")
    assert seal_all(committed) == 2
    result = verify(app, committed)
    assert (result["ok"], result["entries"]) == (True, 2)


def test_two_sealers_at_once_seal_each_entry_once(app, committed):
    with committed.sessionmaker() as session, session.begin():
        for i in range(50):
            audit.record(session=session, actor_id="usr_a", action=TestEvent.RACED, subject_type="thing",
                         subject_id=str(i))
    results = race(4, lambda _i: seal_all(committed))
    assert sorted(results) == [0, 0, 0, 50]
    assert verify(app, committed)["ok"] is True
