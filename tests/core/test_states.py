"""State machines: a row moves only along its declared table, and of two concurrent movers exactly one wins."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from consult import patients
from consult.models import Consultation
from core.errors import InvalidTransition
from core.states import MACHINES, StateMachine
from tests.factories.identity import make_user

VISIT_TABLE = {
    "waiting": {"in_progress", "cancelled"},
    "in_progress": {"completed", "cancelled"},
    "completed": set(),
    "cancelled": set(),
}
CLOSED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def lifecycle():
    """A machine built in the test, not at import, so its constructor is part of what is tested
    (and taken out of the registry of declared machines afterwards)."""
    machine = StateMachine("visit", VISIT_TABLE)
    yield machine
    MACHINES.pop("visit", None)


@pytest.fixture
def visit(session):
    """A consultation row waiting in the queue, moved by `lifecycle`."""
    user, _ = make_user(session, role="patient")
    row = Consultation(patient_id=patients.of_user(session=session, user=user).id, status="waiting", policy="cn",
                       chief_complaint="Follow-up of known condition", is_follow_up=True, prior_diagnosis=None,
                       created_at=CLOSED - timedelta(hours=1))  # closed (below) never before it was created
    session.add(row)
    session.commit()
    return row


def change_behind_its_back(session, row, status):
    """Another mover's UPDATE: the database changes, the row object still holds what it read."""
    session.execute(update(Consultation).where(Consultation.id == row.id).values(status=status)
                    .execution_options(synchronize_session=False))


# ---- the table ------------------------------------------------------------------------------------

@pytest.mark.parametrize("current, target", [("waiting", "in_progress"), ("waiting", "cancelled"),
                                             ("in_progress", "completed"), ("in_progress", "cancelled")])
def test_a_move_declared_in_the_table_is_allowed(current, target, lifecycle):
    assert lifecycle.allowed(current, target) is True


@pytest.mark.parametrize("current, target", [("waiting", "completed"), ("completed", "cancelled"),
                                             ("cancelled", "waiting"), ("in_progress", "waiting"),
                                             ("waiting", "waiting"), ("unheard-of", "waiting")])
def test_a_move_not_declared_in_the_table_is_refused(current, target, lifecycle):
    assert lifecycle.allowed(current, target) is False


def test_a_refused_move_raises_invalid_transition_naming_both_statuses(lifecycle):
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check("completed", "cancelled")
    assert refused.value.detail == "A visit that is completed cannot become cancelled."
    assert refused.value.extra == {"current_status": "completed", "target_status": "cancelled"}


def test_an_allowed_move_passes_the_check(lifecycle):
    assert lifecycle.check("waiting", "in_progress") is None


def test_the_sources_of_a_status_are_every_status_that_may_move_to_it(lifecycle):
    assert lifecycle.sources("cancelled") == {"waiting", "in_progress"}
    assert lifecycle.sources("completed") == {"in_progress"}
    assert lifecycle.sources("waiting") == set()


# ---- moving a row ------------------------------------------------------------------------------------

def test_advance_moves_the_row_and_writes_the_values_with_it(session, visit, lifecycle):
    lifecycle.advance(session, visit, "cancelled", cancel_reason="Feeling better.", closed_at=CLOSED)
    assert (visit.status, visit.cancel_reason, visit.closed_at) == ("cancelled", "Feeling better.", CLOSED)
    session.expire_all()
    stored = session.get(Consultation, visit.id)
    assert (stored.status, stored.cancel_reason) == ("cancelled", "Feeling better.")


def test_advance_refuses_a_move_the_table_does_not_declare_and_leaves_the_row_alone(session, visit, lifecycle):
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.advance(session, visit, "completed", notes="Skipped the visit.")
    assert refused.value.detail == "A visit that is waiting cannot become completed."
    session.expire_all()
    assert (visit.status, visit.notes) == ("waiting", None)


def test_a_mover_that_read_a_stale_status_loses_and_sees_the_status_now(session, visit, lifecycle):
    change_behind_its_back(session, visit, "cancelled")
    assert visit.status == "waiting"
    with pytest.raises(InvalidTransition) as lost:
        lifecycle.advance(session, visit, "in_progress", notes="Accepted.")
    assert lost.value.detail == "The visit changed meanwhile; it is now cancelled."
    assert lost.value.extra == {"current_status": "cancelled", "target_status": "in_progress"}
    assert (visit.status, visit.notes) == ("cancelled", None)


def test_a_stale_status_that_is_still_allowed_is_not_overwritten(session, visit, lifecycle):
    """Read as waiting, moved meanwhile to in_progress: cancelling from the stale read must not win."""
    change_behind_its_back(session, visit, "in_progress")
    with pytest.raises(InvalidTransition):
        lifecycle.advance(session, visit, "cancelled", cancel_reason="Too late.")
    session.expire_all()
    assert (visit.status, visit.cancel_reason) == ("in_progress", None)


def test_an_extra_condition_must_hold_for_the_move(session, visit, lifecycle):
    with pytest.raises(InvalidTransition) as lost:
        lifecycle.advance(session, visit, "in_progress", where=[Consultation.doctor_id.is_not(None)], notes="Taken.")
    assert lost.value.detail == "The visit changed meanwhile; it is now waiting."
    session.expire_all()
    assert (visit.status, visit.notes) == ("waiting", None)


def test_advance_moves_only_its_own_row(session, visit, lifecycle):
    other = Consultation(patient_id=visit.patient_id, status="waiting", policy="cn", chief_complaint="Cough",
                         is_follow_up=True, prior_diagnosis=None)
    session.add(other)
    session.commit()
    lifecycle.advance(session, visit, "in_progress")
    session.expire_all()
    assert (session.get(Consultation, visit.id).status, session.get(Consultation, other.id).status) == (
        "in_progress", "waiting")
