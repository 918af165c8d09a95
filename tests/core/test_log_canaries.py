"""No patient data, token or card number reaches the logs, on any failure path.

Canary strings stand in for a name, a birth date, an allergy, a complaint, a message, an email,
a bearer token and a card number. Each failure path is forced with them in play — a failed
statement, a dropped connection, malformed input, an exception in a handler, and each way the
after-request commit can fail — with every logger turned up to DEBUG (root, Flask's, SQLAlchemy's
engine and pool), and everything written is searched: the process's JSON log handler and the
raw stderr file descriptor.
"""

import io
import logging
from datetime import datetime

import pytest
from sqlalchemy import text

from core import logs
from core.app import create_app
from core.db import current_session
from core.identity.models import User
from tests.conftest import TEST_CONFIG

NAME = "Wilhelmina Canaryquux"
BIRTH_DATE = "1931-07-19"
ALLERGY = "canaryzolam"
COMPLAINT = "canary chest pain ZX81"
MESSAGE = "canary message body Q7"
EMAIL = "canary.person@example.test"
TOKEN = "tok-canary-9f8e7d6c5b4a3f2e1d0c"
CARD = "4111111111111111"
CANARIES = [NAME, BIRTH_DATE, ALLERGY, COMPLAINT, MESSAGE, EMAIL, TOKEN, CARD]
PARAMETERS = {"name": NAME, "birth_date": BIRTH_DATE, "allergy": ALLERGY, "complaint": COMPLAINT,
              "message": MESSAGE, "email": EMAIL, "token": TOKEN, "card": CARD}
LOGGERS = ["", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm", "werkzeug", "rxloop"]


def _canary_user(**overrides) -> User:
    return User(**{"email": EMAIL, "password_hash": TOKEN, "role": "patient", "full_name": NAME,
                   "license_number": CARD, "specialty": COMPLAINT, **overrides})


def _drop_connection(session) -> None:
    """The database connection goes away under the request (a restart, a proxy's idle cut)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    else:
        connection.connection.dbapi_connection.close()


def _probes():
    """name -> view: each forces one failure with the canaries in play."""

    def statement_error():
        current_session().execute(text(
            "SELECT full_name FROM no_such_table WHERE full_name = :name AND birth_date = :birth_date "
            "AND allergy = :allergy AND complaint = :complaint AND body = :message AND email = :email "
            "AND token = :token AND card = :card"), PARAMETERS)

    def driver_quotes_the_value():
        # PostgreSQL's message quotes the value it could not read: `invalid input syntax … "…"`.
        session = current_session()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT CAST(:name AS integer)"), PARAMETERS)
        session.execute(text("SELECT CAST(:name AS integer) FROM no_such_table"), PARAMETERS)

    def connection_drop():
        session = current_session()
        _drop_connection(session)
        session.execute(text("SELECT :name, :token, :card, :complaint"), PARAMETERS)

    def handler_exception():
        raise RuntimeError(f"lookup failed for {NAME} born {BIRTH_DATE} ({ALLERGY}; {COMPLAINT}; "
                           f"{MESSAGE}) {EMAIL} token={TOKEN} card={CARD}")

    def commit_constraint():
        # Two accounts with one email: refused at the commit, where PostgreSQL names the key's value.
        session = current_session()
        session.add_all([_canary_user(), _canary_user()])
        return {"staged": True}

    def commit_statement_error():
        # A value no column takes (a naive time): refused while binding, inside the commit.
        current_session().add(_canary_user(created_at=datetime(2026, 1, 1)))
        return {"staged": True}

    def commit_connection_drop():
        session = current_session()
        session.add(_canary_user())
        _drop_connection(session)
        return {"staged": True}

    return {f.__name__: f for f in (statement_error, driver_quotes_the_value, connection_drop,
                                     handler_exception, commit_constraint, commit_statement_error,
                                     commit_connection_drop)}


@pytest.fixture
def probe_app(app, database_url):
    """The app as production runs it (TESTING off: Flask logs what escapes, then answers 500), on
    the test database (`app` has migrated it)."""
    app = create_app({**TEST_CONFIG, "TESTING": False, "DATABASE_URL": database_url})
    for name, view in _probes().items():
        view._rxloop_access = ("public",)
        app.add_url_rule(f"/probe/{name}", name, view, methods=["POST"])
    yield app
    app.extensions["rxloop.db"].engine.dispose()


@pytest.fixture
def everything_logged(probe_app, capfd):
    """The JSON handler's output and raw stderr, every logger at DEBUG."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logs.JsonHandler))
    written = io.StringIO()
    saved_stream = handler.setStream(written)
    saved_levels = {name: logging.getLogger(name).level for name in LOGGERS}
    saved_app_level = probe_app.logger.level
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    probe_app.logger.setLevel(logging.DEBUG)
    capfd.readouterr()

    def read() -> str:
        return written.getvalue() + capfd.readouterr().err

    try:
        yield read
    finally:
        handler.setStream(saved_stream)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        probe_app.logger.setLevel(saved_app_level)


@pytest.mark.parametrize("probe, status", [
    ("statement_error", 500), ("driver_quotes_the_value", 500), ("connection_drop", 503),
    ("handler_exception", 500), ("commit_constraint", 500), ("commit_statement_error", 500),
    ("commit_connection_drop", 503),
])
def test_a_failure_logs_what_failed_but_no_canary(probe_app, everything_logged, probe, status):
    response = probe_app.test_client().post(f"/probe/{probe}", headers={"Authorization": f"Bearer {TOKEN}"},
                                            json=PARAMETERS)
    assert response.status_code == status, response.get_data(as_text=True)
    written = everything_logged()
    assert '"level": "error"' in written  # the failure was logged…
    assert [canary for canary in CANARIES if canary in written] == []  # …and nothing of the patient's
    assert [canary for canary in CANARIES if canary in response.get_data(as_text=True)] == []


def test_a_database_error_is_logged_with_its_statement_and_code_not_its_values(probe_app, everything_logged):
    probe_app.test_client().post("/probe/statement_error", json={})
    errors = [line for line in everything_logged().splitlines() if '"exception"' in line]
    assert errors
    assert "no_such_table" in errors[0]  # the statement, with its placeholders
    assert "sqlalchemy.exc" in errors[0]


def test_malformed_and_invalid_input_logs_no_canary(probe_app, everything_logged):
    client = probe_app.test_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/api/v1/auth/register", data=f'{{"full_name": "{NAME}", "card": "{CARD}"',
                content_type="application/json")
    client.post("/api/v1/auth/register", json={"email": NAME, "password": CARD, "full_name": NAME,
                                                "birth_date": COMPLAINT, "sex": ALLERGY, "phone": MESSAGE})
    client.post("/api/v1/auth/register", data={"full_name": NAME, "card": CARD})
    client.post("/api/v1/auth/token", json={"email": EMAIL, "password": CARD, "otp": TOKEN})
    client.get("/api/v1/me", headers=bearer)
    client.get(f"/api/v1/products?q={NAME}&card={CARD}", headers=bearer)
    client.get(f"/api/v1/patients/{NAME}", headers=bearer)
    client.post("/api/v1/auth/token", data=b"\xff\xfe" + CARD.encode(), content_type="application/json")
    written = everything_logged()
    assert '"path": "/api/v1/me"' in written
    assert [canary for canary in CANARIES if canary in written] == []


def test_every_logger_writes_through_the_one_json_handler(probe_app):
    root = logging.getLogger()
    assert [type(h) for h in root.handlers if not type(h).__module__.startswith("_pytest")] == [logs.JsonHandler]
    others = [(name, h) for name, logger in root.manager.loggerDict.items()
              if isinstance(logger, logging.Logger) for h in logger.handlers
              if not isinstance(h, logging.NullHandler) and not type(h).__module__.startswith("_pytest")]
    assert others == []
    assert probe_app.logger.handlers == []


def test_the_engine_hides_statement_parameters(probe_app):
    assert probe_app.extensions["rxloop.db"].engine.hide_parameters is True
