"""The audit log: entries carry their own hash, the sealer chains them, signed checkpoints anchor
the chain, and verify() finds every way an operator might rewrite it."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select, text

from core import audit, signing
from core.audit import AuditCheckpoint, AuditEntry, AuditSeal
from tests.support.events import TestEvent


@pytest.fixture
def key(app):
    return signing.for_app(app)


@pytest.fixture
def check(session, key):
    return lambda **kw: audit.verify(session=session, public_key=key.public_key(), **kw)


def write_entries(session, n, *, seal=True):
    for i in range(n):
        audit.record(session=session, actor_id="usr_test", action=TestEvent.WRITTEN, subject_type="thing",
                     subject_id=f"thing_{i}", detail={"i": i})
    session.commit()
    if seal:
        audit.seal(session=session)
        session.commit()
    return session.scalars(select(AuditEntry.seq).where(AuditEntry.action == TestEvent.WRITTEN)
                           .order_by(AuditEntry.seq)).all()[-n:]


def make_checkpoint(session, key):
    made = audit.checkpoint(session=session, key=key)
    session.commit()
    return made


def as_operator(session, is_postgres, statement, **params):
    """Raw SQL as a database operator would run it; on PostgreSQL a superuser first switches
    the append-only triggers off (replica mode) — what they protect against is the app, and
    what verify() must still catch is the operator."""
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(text(statement) if isinstance(statement, str) else statement, params)
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = origin"))
    session.commit()


def rechain_from(session, is_postgres, seq):
    """The operator recomputes every seal from `seq` on, as the sealer would have."""
    prev = session.scalar(select(AuditSeal.hash).where(AuditSeal.seq < seq).order_by(AuditSeal.seq.desc()).limit(1))
    prev = prev or audit.GENESIS
    rows = session.execute(select(AuditEntry.seq, AuditEntry.hash).join(AuditSeal, AuditSeal.seq == AuditEntry.seq)
                           .where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)).all()
    as_operator(session, is_postgres, "DELETE FROM audit_seals WHERE seq >= :seq", seq=seq)
    for entry_seq, entry_hash in rows:
        prev = audit.seal_hash(prev, entry_seq, entry_hash)
        as_operator(session, is_postgres, "INSERT INTO audit_seals (seq, hash) VALUES (:s, :h)", s=entry_seq, h=prev)


def test_each_entry_is_written_with_the_hash_of_its_own_content(session):
    [seq] = write_entries(session, 1, seal=False)
    entry = session.get(AuditEntry, seq)
    assert entry.hash == audit.content_hash(entry)
    assert session.get(AuditSeal, seq) is None


def test_the_sealer_chains_committed_entries_in_seq_order(session, check):
    seqs = write_entries(session, 5)
    seals = session.execute(select(AuditSeal.seq, AuditSeal.hash).where(AuditSeal.seq.in_(seqs))
                            .order_by(AuditSeal.seq)).all()
    assert [s.seq for s in seals] == seqs
    for earlier, later in zip(seals, seals[1:]):
        assert later.hash == audit.seal_hash(earlier.hash, later.seq, session.get(AuditEntry, later.seq).hash)
    assert check()["ok"] is True


def test_sealing_twice_seals_nothing_new_and_resumes_after_the_last_seal(session, check):
    first = write_entries(session, 3)
    assert audit.seal(session=session) == 0
    second = write_entries(session, 2)
    assert audit.sealed_head(session=session)[0] == second[-1]
    assert check()["sealed"] == second[-1] and first[-1] < second[0]


def test_a_rolled_back_unit_of_work_leaves_no_entry_and_its_gap_verifies(session, check):
    before = check()["entries"]
    audit.record(session=session, actor_id=None, action=TestEvent.NEVER_COMMITTED, subject_type="thing",
                 subject_id="x")
    session.rollback()
    # A unit of work that fails after its entry drew a seq (at COMMIT, say) leaves a gap.
    with pytest.raises(RuntimeError), session.begin_nested():
        session.execute(insert(AuditEntry), {"at": audit.utcnow(), "actor_id": None, "action": "test.never",
                                             "subject_type": "thing", "subject_id": "x", "detail": {},
                                             "hash": "0" * 64})
        raise RuntimeError("refused")
    write_entries(session, 1)
    assert check() == {"ok": True, "entries": before + 1, "first_bad": None, "reason": None,
                       "sealed": audit.sealed_head(session=session)[0], "checkpoint": None}


def test_unsealed_entries_are_checked_by_their_own_hash(session, is_postgres, check):
    write_entries(session, 2)
    [unsealed] = write_entries(session, 1, seal=False)
    assert check()["ok"] is True
    as_operator(session, is_postgres, "UPDATE audit_entries SET subject_id = 'forged' WHERE seq = :s", s=unsealed)
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (False, unsealed, "an entry differs from its hash")


def test_an_edited_entry_is_found(session, is_postgres, check):
    seqs = write_entries(session, 5)
    as_operator(session, is_postgres, "UPDATE audit_entries SET actor_id = 'usr_someone_else' WHERE seq = :s",
                s=seqs[2])
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (False, seqs[2], "an entry differs from its hash")


def test_an_edited_entry_is_found_even_if_its_hash_is_recomputed(session, is_postgres, check):
    seqs = write_entries(session, 5)
    entry = session.get(AuditEntry, seqs[2])
    forged = audit.content_hash({**{c: getattr(entry, c) for c in ("at", "actor_id", "subject_type",
                                                                   "subject_id", "patient_id", "detail")},
                                 "action": "test.forged"})
    as_operator(session, is_postgres, "UPDATE audit_entries SET action = 'test.forged', hash = :h WHERE seq = :s",
                h=forged, s=seqs[2])
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (False, seqs[2], "the chain is broken")


def test_an_edited_entry_with_the_chain_recomputed_forward_misses_the_signed_checkpoint(session, is_postgres,
                                                                                          key, check):
    seqs = write_entries(session, 3)
    make_checkpoint(session, key)
    seqs += write_entries(session, 3)
    make_checkpoint(session, key)
    entry = session.get(AuditEntry, seqs[4])
    forged = audit.content_hash({**{c: getattr(entry, c) for c in ("at", "action", "subject_type",
                                                                   "subject_id", "patient_id")},
                                 "actor_id": "usr_someone_else", "detail": entry.detail})
    as_operator(session, is_postgres, "UPDATE audit_entries SET actor_id = 'usr_someone_else', hash = :h "
                                      "WHERE seq = :s", h=forged, s=seqs[4])
    rechain_from(session, is_postgres, seqs[4])
    result = check()
    # The first checkpoint still holds; the second does not: the bad entry lies after the first.
    assert (result["ok"], result["first_bad"], result["reason"]) == (
        False, seqs[2] + 1, "the chain differs from a signed checkpoint")


def test_a_deleted_entry_is_found(session, is_postgres, check):
    seqs = write_entries(session, 5)
    as_operator(session, is_postgres, "DELETE FROM audit_entries WHERE seq = :s", s=seqs[1])
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (False, seqs[1], "a sealed entry is missing")


def test_a_deleted_entry_with_its_seal_and_the_chain_recomputed_forward_is_found(session, is_postgres, key,
                                                                                 check):
    seqs = write_entries(session, 5)
    make_checkpoint(session, key)
    as_operator(session, is_postgres, "DELETE FROM audit_entries WHERE seq = :s", s=seqs[1])
    rechain_from(session, is_postgres, seqs[1])
    result = check()
    assert (result["ok"], result["reason"]) == (False, "the chain differs from a signed checkpoint")
    assert result["first_bad"] <= seqs[1]


def test_a_cut_tail_is_found_by_the_checkpoint(session, is_postgres, key, check):
    seqs = write_entries(session, 5)
    make_checkpoint(session, key)
    as_operator(session, is_postgres, "DELETE FROM audit_seals WHERE seq >= :s", s=seqs[3])
    as_operator(session, is_postgres, "DELETE FROM audit_entries WHERE seq >= :s", s=seqs[3])
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (
        False, seqs[2] + 1, "the chain no longer reaches a signed checkpoint")


def test_a_cut_tail_with_its_checkpoints_deleted_is_found_by_a_checkpoint_kept_outside(session, is_postgres,
                                                                                      key, check):
    seqs = write_entries(session, 5)
    exported = audit.checkpoint_as_dict(make_checkpoint(session, key))
    as_operator(session, is_postgres, "DELETE FROM audit_checkpoints WHERE seq >= :s", s=seqs[3])
    as_operator(session, is_postgres, "DELETE FROM audit_seals WHERE seq >= :s", s=seqs[3])
    as_operator(session, is_postgres, "DELETE FROM audit_entries WHERE seq >= :s", s=seqs[3])
    assert check()["ok"] is True  # inside the database the shorter chain is consistent…
    result = check(anchors=[json.loads(json.dumps(exported))])
    assert (result["ok"], result["first_bad"]) == (False, seqs[2] + 1)  # …but not with the copy kept outside


def test_an_entry_slipped_below_the_sealed_head_is_found(session, is_postgres, check):
    seqs = write_entries(session, 3)
    as_operator(session, is_postgres, "DELETE FROM audit_seals WHERE seq = :s", s=seqs[1])
    as_operator(session, is_postgres, "DELETE FROM audit_entries WHERE seq = :s", s=seqs[1])
    audit.record(session=session, actor_id="usr_test", action=TestEvent.WRITTEN, subject_type="thing",
                 subject_id="forged")
    values = session.info.pop("audit_pending")[0]
    as_operator(session, is_postgres, insert(AuditEntry).values(**values, seq=seqs[1], hash=audit.content_hash(values)))
    result = check()
    assert (result["ok"], result["first_bad"], result["reason"]) == (
        False, seqs[1], "an entry below the sealed head was never sealed")


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused(session, is_postgres, key, check):
    write_entries(session, 2)
    made = make_checkpoint(session, key)
    assert check()["ok"] is True
    as_operator(session, is_postgres, "UPDATE audit_checkpoints SET hash = :h WHERE id = :id",
                h="f" * 64, id=made.id)
    result = check()
    assert (result["ok"], result["reason"]) == (False, "a checkpoint's signature is not valid")
    other = Ed25519PrivateKey.generate()
    assert audit.verify(session=session, public_key=other.public_key())["ok"] is False


def test_a_checkpoint_signs_the_sealed_head(session, key):
    seqs = write_entries(session, 2, seal=False)
    made = make_checkpoint(session, key)  # seals first
    assert (made.seq, made.hash) == audit.sealed_head(session=session)
    assert made.seq == seqs[-1]
    message = audit.checkpoint_message(seq=made.seq, hash=made.hash, at=made.at, key_id=made.key_id)
    assert signing.is_valid(key.public_key(), message, made.signature) is True


def test_a_turned_off_audit_log_writes_nothing(session):
    session.info["audit_enabled"] = False
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    audit.record(session=session, actor_id=None, action=TestEvent.WRITTEN, subject_type="thing", subject_id="x")
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_admins_read_and_verify_the_log_over_http(login_as):
    admin = login_as("admin")
    listed = admin.get(f"/api/v1/audit?actor={admin.user.id}")
    assert listed.status_code == 200
    assert {e["action"] for e in listed.json["items"]} >= {"user.created", "user.logged_in"}
    entry = listed.json["items"][0]
    assert set(entry) >= {"seq", "at", "actor", "action", "subject", "detail", "hash"}
    by_subject = admin.get(f"/api/v1/audit?subject=user:{admin.user.id}")
    assert by_subject.json["items"]
    verified = admin.get("/api/v1/audit/verify").json
    assert (verified["ok"], verified["first_bad"], verified["reason"]) == (True, None, None)
    assert set(verified) == {"ok", "entries", "first_bad", "reason", "sealed", "checkpoint"}


def test_admins_list_checkpoints_newest_first_a_page_at_a_time(login_as, session, key):
    admin = login_as("admin")
    made = [make_checkpoint(session, key) for _ in range(3)]
    first = admin.get("/api/v1/audit/checkpoints?limit=2")
    assert first.status_code == 200
    second = admin.get(f"/api/v1/audit/checkpoints?limit=2&cursor={first.json['next_cursor']}").json
    ids = [c["id"] for c in first.json["items"] + second["items"]]
    assert ids[:3] == [m.id for m in reversed(made)]
    assert set(first.json["items"][0]) == {"id", "seq", "hash", "at", "key_id", "signature"}
    assert login_as("pharmacist").get("/api/v1/audit/checkpoints").status_code == 403


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
