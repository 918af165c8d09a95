"""Concurrent writers never fork the audit chain."""

import pytest

from core import audit
from tests.races.conftest import race
from tests.support.events import TestEvent

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]


def test_sixteen_concurrent_writers_keep_one_chain(committed):
    def write(i):
        for j in range(5):
            with committed.sessionmaker() as session, session.begin():
                audit.record(session=session, actor_id=f"usr_{i}", action=TestEvent.RACED,
                             subject_type="thing", subject_id=f"{i}-{j}")

    results = race(16, write)
    assert results == [None] * 16
    with committed.sessionmaker() as session:
        assert audit.verify(session=session) == {"ok": True, "entries": 80, "first_bad": None}
