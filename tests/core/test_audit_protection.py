"""PostgreSQL itself refuses to change the audit log: a trigger stops even the owner, and the
application's role (rxloop_app) may only INSERT and SELECT the audit tables."""

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import ProgrammingError

from core import audit, signing
from core.audit import AuditEntry
from tests.support.events import TestEvent

pytestmark = pytest.mark.postgres_only

AUDIT_TABLES = ["audit_entries", "audit_seals", "audit_checkpoints"]


@pytest.fixture
def sealed_entry(session, is_postgres, app):
    if not is_postgres:
        pytest.skip("SQLite has no roles or triggers of this kind; verify() is its protection")
    audit.record(session=session, actor_id="usr_test", action=TestEvent.WRITTEN, subject_type="thing",
                 subject_id="t")
    session.commit()
    audit.seal(session=session)
    audit.checkpoint(session=session, key=signing.for_app(app))
    session.commit()
    return session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))


def refused(session, statement):
    with pytest.raises(ProgrammingError) as caught, session.begin_nested():
        session.execute(text(statement))
    return caught.value.orig.sqlstate, str(caught.value.orig).splitlines()[0]


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_the_owner_cannot_update_delete_or_truncate_an_audit_table(session, sealed_entry, table):
    assert refused(session, f"UPDATE {table} SET hash = hash") == (
        "42501", f"the audit log is append-only: UPDATE on {table} refused")
    assert refused(session, f"DELETE FROM {table}") == (
        "42501", f"the audit log is append-only: DELETE on {table} refused")
    assert refused(session, f"TRUNCATE {table}") == (
        "42501", f"the audit log is append-only: TRUNCATE on {table} refused")


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_the_app_role_may_read_but_not_update_or_delete_an_audit_table(session, sealed_entry, table):
    session.execute(text("SET LOCAL ROLE rxloop_app"))
    assert session.scalar(text(f"SELECT count(*) FROM {table}")) >= 1
    assert refused(session, f"UPDATE {table} SET hash = hash") == (
        "42501", f"permission denied for table {table}")
    assert refused(session, f"DELETE FROM {table}") == ("42501", f"permission denied for table {table}")
    session.execute(text("RESET ROLE"))


def test_the_app_role_appends_and_seals_and_changes_other_tables(session, sealed_entry):
    session.execute(text("SET LOCAL ROLE rxloop_app"))
    audit.record(session=session, actor_id="usr_test", action=TestEvent.WRITTEN, subject_type="thing",
                 subject_id="as-app")
    session.commit()
    assert audit.seal(session=session) == 1
    session.execute(text("UPDATE users SET full_name = full_name"))
    assert session.scalar(text("SELECT current_user")) == "rxloop_app"
    session.execute(text("RESET ROLE"))


def test_the_database_draws_each_seq_whatever_the_insert_says(session, sealed_entry):
    values = {"at": audit.utcnow(), "actor_id": None, "action": "test.event", "subject_type": "thing",
              "subject_id": "x", "patient_id": None, "detail": {}}
    session.execute(insert(AuditEntry), {**values, "seq": 1, "hash": audit.content_hash(values)})
    assert session.scalar(select(AuditEntry.seq).where(AuditEntry.subject_id == "x")) > sealed_entry
