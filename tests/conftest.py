"""Fixtures: the app on a migrated database (SQLite, or PostgreSQL via DATABASE_URL), a
transaction per test rolled back at its end, clients logged in as each role."""

import base64
import os
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from core.app import create_app
from core.config import database_url as normalise_url
from core.db import unit_of_work
from core.ratelimit import limiter
from tests.support import documented_problems
from tests.support.catalogues import compile_stale
from tests.support.api import ApiClient
from tests.support.webhooks import WEBHOOK_SECRET
from tests.factories.consult import ensure_formulary
from tests.factories.identity import make_user

# A fixed data key ring (core/encryption): "test-2" active, "test-1" an older key it still reads.
TEST_DATA_KEYS = ("test-2:" + base64.b64encode(bytes(range(32))).decode() + ","
                  "test-1:" + base64.b64encode(bytes(range(32, 64))).decode())

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "STRIPE_SECRET_KEY": "",  # payments are deferred unless a test asks for `stripe_on`
    "LOG_LEVEL": "INFO",
    # Each xdist worker holds its own pool; races add RACE_POOL_SIZE (tests/races/conftest.py).
    "DB_POOL_SIZE": 4,
    "DB_MAX_OVERFLOW": 8,
    "AUDIT_SIGNING_KEY": base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode(),
    "AUDIT_SEAL_IN_PROCESS": False,  # tests seal by calling the job (tests/core/test_audit_sealing.py)
    "RXLOOP_DATA_KEYS": TEST_DATA_KEYS,
    # Each test's writes are rolled back, never committed, so no revocation notice would ever go out:
    # the token cache is tested on committed data by tests/core/test_token_cache*.py.
    "TOKEN_CACHE": False,
}


def pytest_report_header(config):
    raw = os.environ.get("DATABASE_URL", "")
    return f"rxloop database: {'postgresql' if raw.startswith('postgres') else 'sqlite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    raw = os.environ.get("DATABASE_URL", "")
    if not raw.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'rxloop-test.sqlite3'}"
        return
    server = make_url(normalise_url(raw))
    name = f"rxloop_test_{uuid.uuid4().hex[:8]}_{worker_id}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    compile_stale()  # the zh catalogue, as `make install` compiles it
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    app.extensions["rxloop.tests.undocumented_problems"] = documented_problems.install(app)
    with app.app_context():
        upgrade()
        with unit_of_work(app) as session:
            ensure_formulary(session)  # committed once, under every test's rolled-back transaction
    yield app
    app.extensions["rxloop.db"].engine.dispose()


@pytest.fixture(autouse=True)
def served_problems_are_documented(request):
    """A problem a request of this test was answered with is one its operation documents."""
    if "app" not in request.fixturenames:
        yield
        return
    undocumented = request.getfixturevalue("app").extensions["rxloop.tests.undocumented_problems"]
    undocumented.clear()
    yield
    assert undocumented == [], "served but not in the OpenAPI document"


@pytest.fixture
def is_postgres(app):
    return app.extensions["rxloop.db"].engine.dialect.name == "postgresql"


@pytest.fixture
def db_connection(app):
    """Everything the test and its requests write happens in one transaction, rolled back."""
    database = app.extensions["rxloop.db"]
    connection = database.engine.connect()
    outer = connection.begin()
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        database.sessionmaker.kw.pop("join_transaction_mode", None)
        database.sessionmaker.configure(bind=database.engine)
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app, db_connection):
    """A session for arranging and checking; commit() makes rows visible to requests."""
    with app.app_context():
        own = app.extensions["rxloop.db"].sessionmaker()
        yield own
        own.close()


@pytest.fixture
def client(app, db_connection):
    limiter.reset()
    return ApiClient(app.test_client())


@pytest.fixture
def login_as(app, session, client):
    """`login_as("doctor")` → a client carrying a fresh doctor's bearer token."""

    def login(role: str, **fields) -> ApiClient:
        with app.test_request_context():
            user, token = make_user(session, role=role, **fields)
        return client.as_user(user, token)

    return login


@pytest.fixture
def us_policy(app):
    """The app under the us rule set for this test (the default is cn)."""
    saved = app.config["RXLOOP_POLICY"]
    app.config["RXLOOP_POLICY"] = "us"
    yield "us"
    app.config["RXLOOP_POLICY"] = saved


@pytest.fixture
def stripe_on(app, localstripe_url, stripe_gateway):
    """Payments wired to localstripe for this test (the default test app defers them)."""
    keys = ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")
    saved = {k: app.config[k] for k in keys}
    app.config.update(STRIPE_SECRET_KEY="sk_test_rxloop", STRIPE_API_BASE=localstripe_url,
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    drop_gateway(app)
    yield localstripe_url
    app.config.update(saved)
    drop_gateway(app)


def drop_gateway(app):
    """Forget the app's cached Stripe gateway (closing its connections)."""
    gateway = app.extensions.pop("rxloop.stripe", None)
    if gateway is not None:
        gateway.close()
