"""Cached tokens on PostgreSQL: every revocation reaches every process at once, and a lost channel fails closed.

These tests commit (the database's notices go out only on commit), in a database of their own.
"""

import multiprocessing
import threading
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text

from core.app import create_app
from core.identity import revocations
from core.identity.token_cache import TokenCache
from tests.conftest import TEST_CONFIG
from tests.factories.identity import make_user
from tests.web.conftest import PageClient


def wait_until(condition, seconds=10.0):
    """Poll for what another thread or process does (a notice arriving), for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        threading.Event().wait(0.005)


@pytest.fixture(scope="module")
def committed_url(database_url):
    if not database_url.startswith("postgres"):
        pytest.skip("the token cache needs PostgreSQL (LISTEN/NOTIFY); on SQLite every request reads the database")
    server = make_url(database_url)
    name = f"{server.database}_tokens"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrator = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with migrator.app_context():
        upgrade()
    migrator.extensions["rxloop.db"].engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def cached_app(url):
    worker = create_app({**TEST_CONFIG, "DATABASE_URL": url, "TOKEN_CACHE": True})
    statements = []
    event.listen(worker.extensions["rxloop.db"].engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    worker.extensions["rxloop.tests.statements"] = statements
    return worker


def listening_cache(worker) -> TokenCache:
    cache = revocations.cache_for(worker)
    wait_until(cache.live)
    return cache


@pytest.fixture
def worker(committed_url):
    """An worker as one worker process serves it, its token cache on."""
    worker = cached_app(committed_url)
    yield worker
    cache = worker.extensions.get("rxloop.token_cache")
    if isinstance(cache, TokenCache):
        cache.listener.stop()
        cache.listener.join(timeout=30)
    worker.extensions["rxloop.db"].engine.dispose()


@pytest.fixture
def operator(committed_url):
    """Another connection to the database, as an admin's tool or another service would write."""
    engine = create_engine(committed_url)
    yield engine
    engine.dispose()


@pytest.fixture
def new_user(worker):
    def new(role="patient"):
        with worker.test_request_context(), worker.extensions["rxloop.db"].sessionmaker() as session:
            user, token = make_user(session, role=role)
        return user.id, {"Authorization": f"Bearer {token}"}

    return new


def me(worker, auth):
    """GET /api/v1/me: (status, its body, how many SQL statements it ran)."""
    statements = worker.extensions["rxloop.tests.statements"]
    statements.clear()
    response = worker.test_client().get("/api/v1/me", headers=auth)
    return response.status_code, response.get_json(), len(statements)


def test_me_on_a_cache_hit_runs_no_sql_statement(worker, new_user):
    listening_cache(worker)
    _, auth = new_user()
    status, first, statements = me(worker, auth)
    assert (status, statements > 0) == (200, True)
    assert me(worker, auth) == (200, first, 0)


def test_logout_is_refused_by_the_very_next_request_of_the_same_process(worker, new_user):
    listening_cache(worker)
    _, auth = new_user()
    me(worker, auth)
    assert me(worker, auth)[::2] == (200, 0)
    assert worker.test_client().post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert me(worker, auth)[0] == 401


def other_process(url, pipe):
    """A second worker process with its own worker, cache and listener, answering the test's commands."""
    worker = cached_app(url)
    cache = listening_cache(worker)
    pipe.send("listening")
    while (command := pipe.recv()) != "stop":
        pipe.send(cache.notices if command == "notices" else me(worker, command))


@pytest.fixture
def other_worker(committed_url):
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=other_process, args=(committed_url, theirs), daemon=True)
    process.start()
    assert ours.poll(60) and ours.recv() == "listening"

    def ask(command):
        ours.send(command)
        assert ours.poll(30)
        return ours.recv()

    yield ask
    ours.send("stop")
    process.join(timeout=30)


def test_logout_in_one_process_is_refused_at_once_by_another(worker, new_user, other_worker):
    listening_cache(worker)
    _, auth = new_user()
    other_worker(auth)
    assert other_worker(auth)[::2] == (200, 0)  # the other process answers from its cache
    notices = other_worker("notices")
    assert worker.test_client().post("/api/v1/auth/logout", headers=auth).status_code == 204
    wait_until(lambda: other_worker("notices") > notices)  # the database's notice has arrived there
    assert other_worker(auth)[0] == 401


def test_a_deactivated_user_is_refused_at_once(worker, new_user, operator):
    cache = listening_cache(worker)
    user_id, auth = new_user()
    me(worker, auth)
    assert me(worker, auth)[::2] == (200, 0)
    notices = cache.notices
    with operator.begin() as conn:
        conn.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user_id})
    wait_until(lambda: cache.notices > notices)
    assert me(worker, auth)[0] == 401


def test_a_role_change_takes_effect_at_once(worker, new_user, operator):
    cache = listening_cache(worker)
    user_id, auth = new_user("pharmacist")
    assert worker.test_client().post("/api/v1/orders/ord-none/dispense", headers=auth).status_code == 404
    assert me(worker, auth)[::2] == (200, 0)
    notices = cache.notices
    with operator.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'doctor', specialty = 'general practice' WHERE id = :id"),
                     {"id": user_id})
    wait_until(lambda: cache.notices > notices)
    status, body, _ = me(worker, auth)
    assert (status, body["role"]) == (200, "doctor")
    dispensing = worker.test_client().post("/api/v1/orders/ord-none/dispense", headers=auth)
    assert dispensing.status_code == 403


def test_with_the_channel_down_a_revoked_token_is_refused(worker, new_user, operator, monkeypatch):
    cache = listening_cache(worker)
    _, auth = new_user()
    me(worker, auth)
    assert me(worker, auth)[::2] == (200, 0)
    with cache._lock:  # the listener thread cannot handle the lost connection: only the requests' check guards
        with operator.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cache.listener.backend_pid})
        wait_until(lambda: not operator.connect().execute(
            text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": cache.listener.backend_pid}).first())
        with operator.begin() as conn:
            conn.execute(text("UPDATE access_tokens SET revoked_at = now()"))
        status, _, statements = me(worker, auth)
    assert (status, statements > 0) == (401, True)


def test_the_cache_starts_empty_when_the_channel_comes_back(worker, new_user, operator, monkeypatch):
    monkeypatch.setattr(revocations, "RETRY_SECONDS", 0.05)
    cache = listening_cache(worker)
    _, auth = new_user()
    me(worker, auth)
    first_backend = cache.listener.backend_pid
    with operator.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_backend})
    wait_until(lambda: cache.listener.backend_pid != first_backend and cache.live())
    assert cache.size() == 0
    assert me(worker, auth)[::2][0] == 200
    assert me(worker, auth)[::2] == (200, 0)


def test_a_revocation_between_the_read_and_the_fill_leaves_no_stale_entry(worker, new_user, operator, monkeypatch):
    cache = listening_cache(worker)
    _, auth = new_user()
    fill = cache.fill

    def revoked_meanwhile(*args, **kwargs):
        """The token is revoked, and its notice handled, after the database was read."""
        notices = cache.notices
        with operator.begin() as conn:
            conn.execute(text("UPDATE access_tokens SET revoked_at = now()"))
        wait_until(lambda: cache.notices > notices)
        fill(*args, **kwargs)

    monkeypatch.setattr(cache, "fill", revoked_meanwhile)
    assert me(worker, auth)[0] == 200  # resolved before the revocation
    monkeypatch.setattr(cache, "fill", fill)
    assert me(worker, auth)[0] == 401


def test_a_handler_changes_the_user_it_got_from_the_cache(worker, new_user):
    listening_cache(worker)
    user_id, auth = new_user()
    me(worker, auth)
    client = worker.test_client()
    enrolment = client.post("/api/v1/me/totp", headers=auth, json={"password": "correct horse battery"})
    assert enrolment.status_code == 201
    with worker.extensions["rxloop.db"].engine.connect() as conn:
        secret = conn.execute(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}).scalar()
    assert secret is not None


def test_the_workbench_serves_signed_in_pages_from_the_cache_and_signs_out_at_once(worker, new_user):
    listening_cache(worker)
    with worker.test_request_context(), worker.extensions["rxloop.db"].sessionmaker() as session:
        pharmacist, _ = make_user(session, role="pharmacist")
    pages = PageClient(worker.test_client())
    assert pages.sign_in(pharmacist.email).status_code == 302
    assert pages.get("/pharmacy/review").status_code == 200
    assert pages.get("/pharmacy/review").status_code == 200  # its token resolved from the cache
    assert pages.submit("/sign-out").status_code == 302
    assert pages.get("/pharmacy/review").status_code == 302  # back to the sign-in page
