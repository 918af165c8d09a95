"""The audit log is a hash chain: any edit, deletion or insertion shows in verify()."""

import pytest
from sqlalchemy import delete, select, text, update

from core import audit
from core.audit import AuditEntry
from tests.support.events import TestEvent


def write_entries(session, n):
    for i in range(n):
        audit.record(session=session, actor_id="usr_test", action=TestEvent.WRITTEN, subject_type="thing",
                     subject_id=f"thing_{i}", detail={"i": i})
    session.commit()


def test_entries_are_chained_and_verify(session):
    write_entries(session, 5)
    result = audit.verify(session=session)
    assert result["ok"] is True
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(entries, entries[1:]))


def test_an_edited_entry_is_found(session):
    write_entries(session, 5)
    third = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[2]
    session.execute(update(AuditEntry).where(AuditEntry.seq == third.seq)
                    .values(detail={"i": 999}))
    session.commit()
    assert audit.verify(session=session) == {"ok": False, "entries": 3, "first_bad": third.seq}


def test_an_edited_entry_is_found_even_if_its_hash_is_recomputed(session):
    write_entries(session, 5)
    third = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[2]
    third.action = "test.forged"
    third.hash = audit.chain_hash(third.prev_hash, third)
    session.commit()
    assert audit.verify(session=session)["first_bad"] == third.seq + 1


def test_a_deleted_entry_is_found(session):
    write_entries(session, 5)
    second = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()[1]
    session.execute(delete(AuditEntry).where(AuditEntry.seq == second.seq))
    session.commit()
    result = audit.verify(session=session)
    assert result["ok"] is False and result["first_bad"] == second.seq


def test_a_deleted_last_entry_is_found(session):
    write_entries(session, 3)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    session.execute(text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": last.seq})
    session.commit()
    result = audit.verify(session=session)
    assert result["ok"] is False and result["first_bad"] == last.seq


def test_a_rolled_back_unit_of_work_leaves_no_entry(session):
    before = audit.verify(session=session)["entries"]
    audit.record(session=session, actor_id=None, action=TestEvent.NEVER_COMMITTED, subject_type="thing", subject_id="x")
    session.rollback()
    write_entries(session, 1)
    assert audit.verify(session=session) == {"ok": True, "entries": before + 1, "first_bad": None}


def test_admins_read_and_verify_the_log_over_http(login_as):
    admin = login_as("admin")
    listed = admin.get(f"/api/v1/audit?actor={admin.user.id}")
    assert listed.status_code == 200
    assert {e["action"] for e in listed.json["items"]} >= {"user.created", "user.logged_in"}
    entry = listed.json["items"][0]
    assert set(entry) >= {"at", "actor", "action", "subject", "detail", "hash", "prev_hash"}
    by_subject = admin.get(f"/api/v1/audit?subject=user:{admin.user.id}")
    assert by_subject.json["items"]
    assert admin.get("/api/v1/audit/verify").json["ok"] is True


def test_the_audit_list_pages_with_a_cursor(login_as, session):
    admin = login_as("admin")
    write_entries(session, 5)
    first = admin.get("/api/v1/audit?action=test.event&limit=2").json
    second = admin.get(f"/api/v1/audit?action=test.event&limit=2&cursor={first['next_cursor']}").json
    seqs = [e["seq"] for e in first["items"] + second["items"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert admin.get("/api/v1/audit?cursor=garbage").status_code == 422


def test_an_action_must_be_a_declared_event_not_a_free_string(session):
    with pytest.raises(TypeError):
        audit.record(session=session, actor_id=None, action="order.cancelled", subject_type="order", subject_id="o")
