"""A refused move is explained in plain English, with the raw statuses alongside for programs."""

import pytest
from sqlalchemy import update

from consult import consultations
from consult.models import Consultation
from core import states
from core.errors import InvalidTransition
from core.states import StateMachine
from tests.factories.consult import consultation_in_progress
from tests.factories.identity import make_user

ORDER = {"pending_payment": {"paid"}, "paid": {"shipped"}, "shipped": set()}


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    """Machines made here stay here: the app's own are what docs/states.md draws."""
    monkeypatch.setattr(states, "MACHINES", {})


def refusal(machine: StateMachine, current: str, target: str) -> InvalidTransition:
    with pytest.raises(InvalidTransition) as refused:
        machine.check(current, target)
    return refused.value


def test_a_record_whose_name_starts_with_a_consonant_takes_a():
    machine = StateMachine("prescription", {"draft": {"signed"}, "signed": set()})
    assert refusal(machine, "signed", "draft").detail == "A prescription that is signed cannot become draft."


def test_a_record_whose_name_starts_with_a_vowel_takes_an():
    machine = StateMachine("order", ORDER)
    assert refusal(machine, "shipped", "paid").detail == "An order that is shipped cannot become paid."


def test_a_declared_article_wins_over_the_first_letter():
    machine = StateMachine("unit of stock", {"held": {"sold"}, "sold": set()}, article="a")
    assert refusal(machine, "sold", "held").detail == "A unit of stock that is sold cannot become held."


def test_statuses_read_as_words():
    machine = StateMachine("order", ORDER)
    assert refusal(machine, "pending_payment", "shipped").detail == \
        "An order that is pending payment cannot become shipped."


def test_the_problem_keeps_the_raw_statuses():
    machine = StateMachine("order", ORDER)
    assert refusal(machine, "pending_payment", "shipped").extra == \
        {"current_status": "pending_payment", "target_status": "shipped"}


def test_a_record_moved_meanwhile_is_named_with_its_new_status_in_words(session):
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    consultation = consultation_in_progress(session, patient, doctor)
    session.execute(update(Consultation).where(Consultation.id == consultation.id)
                    .values(status="referred_offline").execution_options(synchronize_session=False))
    with pytest.raises(InvalidTransition) as refused:
        consultations.LIFECYCLE.advance(session, consultation, "completed")
    assert refused.value.detail == "The consultation changed meanwhile; it is now referred offline."
    assert refused.value.extra == {"current_status": "referred_offline", "target_status": "completed"}


def test_a_declared_machine_is_registered_under_its_name():
    machine = StateMachine("order", ORDER)
    assert states.MACHINES == {"order": machine}


def test_two_machines_cannot_share_a_name():
    StateMachine("order", ORDER)
    with pytest.raises(ValueError):
        StateMachine("order", {"open": set()})


def test_states_are_listed_in_the_order_the_table_first_names_them():
    machine = StateMachine("refill", {"requested": {"sent", "refused"}, "sent": {"filled"}})
    assert machine.states == ["requested", "sent", "refused", "filled"]
    assert machine.targets("requested") == ["sent", "refused"]


def test_a_machine_starts_in_the_states_nothing_moves_to_unless_it_names_them():
    assert StateMachine("parcel", {"packed": {"sent"}, "sent": set()}).initial == ("packed",)
    assert StateMachine("visit", {"waiting": {"seen", "referred"}, "seen": set(), "referred": set()},
                        initial=("waiting", "referred")).initial == ("waiting", "referred")


def test_an_initial_state_must_be_in_the_table():
    with pytest.raises(ValueError):
        StateMachine("crate", {"packed": set()}, initial=("lost",))
    assert "crate" not in states.MACHINES
