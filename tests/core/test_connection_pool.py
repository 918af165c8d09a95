"""Pooled connections: tested before use only after idling, and a dead one never reaches a request."""

import time

import pytest
import time_machine
from sqlalchemy import create_engine, text

from core.app import create_app
from tests.conftest import TEST_CONFIG

IDLE = 10


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the embedded SQLite default opens a file, there is no server to lose")
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "DB_POOL_SIZE": 1, "DB_MAX_OVERFLOW": 0,
                      "DB_PING_IDLE_SECONDS": IDLE})
    engine = app.extensions["rxloop.db"].engine
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def later(seconds):
    return time_machine.travel(time.time() + seconds, tick=False)


def test_a_connection_in_steady_use_is_not_pinged(engine, monkeypatch):
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
    first = backend_pid(engine)
    assert backend_pid(engine) == backend_pid(engine) == first
    assert pings == []
    with later(IDLE + 1):
        assert backend_pid(engine) == first
    assert len(pings) == 1


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine, database_url):
    first = backend_pid(engine)
    admin = create_engine(database_url)
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        admin.dispose()
    with later(IDLE + 1):
        assert backend_pid(engine) != first  # no error: the dead one was found and replaced
