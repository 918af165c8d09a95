"""Races run real threads with real commits against PostgreSQL, then empty the tables."""

import threading

import pytest
from sqlalchemy import create_engine, text

from core.db import Base


# Connections the racers share. The crowd is larger: those without a connection queue for
# one, so up to RACE_POOL_SIZE transactions contend for the same rows at once, and the
# workers together stay under PostgreSQL's max_connections (100).
RACE_POOL_SIZE = 16


@pytest.fixture
def committed(app):
    """The real database, no test transaction: what threads commit is really committed."""
    database = app.extensions["rxloop.db"]
    if database.engine.dialect.name != "postgresql":
        pytest.skip("races need PostgreSQL (SQLite serialises writers and has no row locks)")
    # A pool of its own, opened for the race and closed together at its end.
    engine = create_engine(database.engine.url, pool_size=RACE_POOL_SIZE, max_overflow=0, pool_timeout=60)
    database.sessionmaker.configure(bind=engine)
    try:
        yield database
    finally:
        database.sessionmaker.configure(bind=database.engine)
        # Drugs stay: the formulary is synced once per test database (tests/conftest.py).
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "drugs")
        with engine.begin() as conn:
            # The audit tables refuse TRUNCATE (migration 0007): a superuser's replica mode skips
            # their triggers, as it would for a malicious operator — verify() is what catches that.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        engine.dispose()


def race(n, action):
    """Run `action(i)` in n threads released at the same instant; returns results or exceptions."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # the race's losers: collected, asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
