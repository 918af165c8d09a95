"""Engine, sessions and the unit of work; the declarative Base and column helpers."""

import secrets
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def closing_time(row, now: datetime | None = None) -> datetime:
    """When `row` closes: now, but never before it was created (a clock stepped back, or a `now` from before the
    row existed); the tables refuse that too (their check `closed_not_before_created`)."""
    now = now or utcnow()
    return now if row.created_at is None or now >= row.created_at else row.created_at


def new_id(prefix: str) -> str:
    """An opaque, unguessable id with a readable prefix (`rx-…`, `ord-…`); letters, digits and
    hyphens only, so it is also a valid FHIR resource id."""
    return f"{prefix}-{secrets.token_hex(12)}"


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Database:
    """One engine and session factory per app, created in create_app().

    Its engines keep statement parameters out of error messages (`hide_parameters`): they are
    patient data, and an error's message reaches the log with its traceback.
    """

    def __init__(self):
        self.metadata = Base.metadata
        self.engine = None
        self.sessionmaker = sessionmaker(expire_on_commit=False)
        self._readers = {}  # engine → the same engine in AUTOCOMMIT, for @read_only requests (PostgreSQL)

    def init_app(self, app) -> None:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url)
        else:
            idle = app.config["DB_PING_IDLE_SECONDS"]
            self.engine = create_engine(url, pool_size=app.config["DB_POOL_SIZE"],
                                        max_overflow=app.config["DB_MAX_OVERFLOW"], pool_pre_ping=idle == 0,
                                        hide_parameters=True)
            if idle > 0:
                ping_when_idle(self.engine, idle)
        self.sessionmaker.configure(bind=self.engine, info={"audit_enabled": app.config["AUDIT_ENABLED"]})
        app.extensions["rxloop.db"] = self
        app.teardown_appcontext(_close_request_session)

    def read_only_session(self) -> Session:
        """A session for a request declared @read_only: on PostgreSQL its statements run on an
        AUTOCOMMIT connection, each alone, without the BEGIN and COMMIT round trips of a
        transaction; any write or audit entry is refused before it reaches the database."""
        bind = self.sessionmaker.kw.get("bind")
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            reader = self._readers.get(bind)
            if reader is None:
                reader = self._readers[bind] = bind.execution_options(isolation_level="AUTOCOMMIT")
                event.listen(reader, "before_cursor_execute", _refuse_writes_outside_a_transaction)
            return self.sessionmaker(bind=reader, info={READ_ONLY: True})
        # SQLite (and a test's connection): the usual transaction, with the same refusals.
        return self.sessionmaker(info={READ_ONLY: True})


def ping_when_idle(engine, idle_seconds: float) -> None:
    """Test a pooled connection before use only when it has sat idle for `idle_seconds`.

    A connection in steady use proves itself on every request, so pinging it each time
    (pool_pre_ping) costs a round trip per request for nothing; one that idled may have
    been dropped (a database restart, a proxy's idle timeout) and is tested, and replaced
    before any request sees it. A drop under steady use fails one request, after which
    SQLAlchemy discards every connection of that pool.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record):
        record.info["idle_since"] = time.time()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.time() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection died while idle") from exc  # the pool reconnects


def _sqlite_engine(url: str):
    from pathlib import Path

    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transactions into our own hands: pysqlite's implicit BEGIN is deferred,
        # which lets two writers read the same stock and then fail to upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # SQLite has no row locks (FOR UPDATE is ignored): take the write lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def add_unique(session: Session, row, *, conflict: str) -> None:
    """Add and flush `row`; a unique constraint refusing it becomes a 409 with `conflict`."""
    from sqlalchemy.exc import IntegrityError

    from core.errors import Conflict

    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


READ_ONLY = "read_only"  # a session's info key: the session of a @read_only request


class WriteInReadOnlyRequest(RuntimeError):
    """A request declared @read_only tried to write or to audit: a bug, refused before anything is written."""


def read_only(view):
    """Declare an endpoint that writes nothing and audits nothing (a catalogue read, /me): its
    request reads without a transaction's BEGIN and COMMIT (`Database.read_only_session`). An
    endpoint whose reads are audited, or that may write, is never declared so: a write or an
    audit entry in such a request fails with WriteInReadOnlyRequest, and nothing is written."""
    view._rxloop_read_only = True
    return view


def current_session() -> Session:
    """The request's session: one per request, committed or rolled back at its end."""
    if "db_session" not in g:
        database = current_app.extensions["rxloop.db"]
        view = current_app.view_functions.get(request.endpoint) if has_request_context() else None
        g.db_session = (database.read_only_session() if getattr(view, "_rxloop_read_only", False)
                        else database.sessionmaker())
    return g.db_session


@event.listens_for(Session, "before_flush")
def _refuse_flush_when_read_only(session: Session, _context, _instances) -> None:
    if session.info.get(READ_ONLY):
        raise WriteInReadOnlyRequest("a @read_only request tried to write rows")


@event.listens_for(Session, "do_orm_execute")
def _refuse_writes_when_read_only(state) -> None:
    if state.session.info.get(READ_ONLY) and not state.is_select:
        raise WriteInReadOnlyRequest("a @read_only request tried to write (or to audit)")


def _refuse_writes_outside_a_transaction(_conn, _cursor, statement, _parameters, context, _executemany):
    """The last guard of the AUTOCOMMIT connections: only SELECTs, which commit nothing half-way."""
    compiled = context.compiled if context is not None else None
    is_select = (compiled.statement.is_select if compiled is not None and compiled.statement is not None
                 else statement.lstrip()[:6].upper() == "SELECT")
    if not is_select or (context is not None and (context.isinsert or context.isupdate or context.isdelete)):
        raise WriteInReadOnlyRequest("a write reached a connection outside a transaction")


def end_unit_of_work(session: Session) -> None:
    """Commit one unit of work of a use case that needs several (around a call to a payment
    provider, say). Only such use cases call it, each at a boundary its docstring names; a
    request remembers that part of it is already saved, so a later failure never claims
    that nothing was."""
    session.commit()
    if has_request_context():
        g.units_committed = g.get("units_committed", 0) + 1


def units_committed() -> int:
    """How many units of work this request has already committed before its last one."""
    return g.get("units_committed", 0) if has_request_context() else 0


def keep_on_rollback(session: Session, action) -> None:
    """Do `action(session)` after the request's unit of work rolls back, and commit it: a fact
    that stands although the request was refused (a wrong one-time code, a failed login must
    be counted however the request ends). Without a request, it is done at once."""
    if has_request_context() and g.get("db_session") is session:
        session.info.setdefault("kept_on_rollback", []).append(action)
    else:
        action(session)


def finish_request_session(success: bool) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        if success:
            session.commit()
        else:
            session.rollback()
            session.info.pop("audit_pending", None)  # even if the unit of work never reached the database
            kept = session.info.pop("kept_on_rollback", [])
            for keep in kept:
                keep(session)
            if kept or session.info.get("audit_refused"):  # refused reads are recorded all the same (core/audit.py)
                session.commit()
    finally:
        session.close()


def _close_request_session(_exc):
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


@contextmanager
def unit_of_work(app=None):
    """A session for a job or CLI command: committed on success, rolled back on error."""
    database = (app or current_app).extensions["rxloop.db"]
    session = database.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
