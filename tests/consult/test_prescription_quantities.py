"""What a purchase may take from a prescription: authorize_use, record_dispense, release."""

from datetime import timedelta

import pytest

from consult import dispensing
from consult.models import PrescriptionItem
from consult.dispensing import PrescriptionExhausted, PrescriptionRequired
from core.db import utcnow
from core.errors import InvalidTransition, ValidationFailed
from tests.factories.consult import AMOXICILLIN, approved_prescription, item, signed_prescription
from tests.factories.identity import make_user


@pytest.fixture
def staff(session):
    return {role: make_user(session, role=role)[0] for role in ("patient", "doctor", "pharmacist")}


def approved(session, staff, **item_fields):
    return approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"],
                                 items=[item(**item_fields)] if item_fields else None)


def remaining(session, rx):
    session.expire_all()
    return session.query(PrescriptionItem).filter_by(prescription_id=rx.id).one().quantity_remaining


def test_an_approved_prescription_covers_its_quantity(session, staff):
    rx = approved(session, staff, quantity=30)
    auth = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=20)
    assert auth.prescription_id == rx.id and auth.quantity == 20
    assert remaining(session, rx) == 10


def test_thirty_units_cannot_be_spent_by_two_purchases_of_twenty(session, staff):
    rx = approved(session, staff, quantity=30)
    dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=20)
    with pytest.raises(PrescriptionExhausted):
        dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=20)
    assert remaining(session, rx) == 10


def test_no_prescription_means_prescription_required(session, staff):
    patient_id = approved(session, staff).patient_id
    with pytest.raises(PrescriptionRequired):
        dispensing.authorize_use(session=session, patient_id=patient_id, drug_id="ibuprofen-400mg-tab", quantity=1)


def test_a_prescription_awaiting_review_covers_nothing(session, staff):
    rx = signed_prescription(session, staff["patient"], staff["doctor"])
    with pytest.raises(PrescriptionRequired):
        dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=1)


def test_an_expired_prescription_covers_nothing_even_before_the_job_runs(session, staff, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    rx = approved(session, staff)
    time_machine.shift(timedelta(days=4))
    with pytest.raises(PrescriptionRequired):
        dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=1)


def test_another_patients_prescription_covers_nothing(session, staff):
    rx = approved(session, staff)
    stranger, _ = make_user(session, role="patient")
    from consult.patients import of_user

    with pytest.raises(PrescriptionRequired):
        dispensing.authorize_use(session=session, patient_id=of_user(session=session, user=stranger).id,
                                    drug_id=AMOXICILLIN, quantity=1, prescription_id=rx.id)


def test_release_gives_units_back_exactly_once(session, staff):
    rx = approved(session, staff, quantity=30)
    auth = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=20)
    assert dispensing.release(session=session, use_id=auth.use_id) is True
    assert dispensing.release(session=session, use_id=auth.use_id) is False
    assert remaining(session, rx) == 30


def test_dispensing_everything_closes_the_prescription(session, staff):
    rx = approved(session, staff, quantity=21)
    auth = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=21)
    dispensing.record_dispense(session=session, use_id=auth.use_id, pharmacist_id=staff["pharmacist"].id)
    session.refresh(rx)
    assert rx.status == "dispensed"
    assert dispensing.release(session=session, use_id=auth.use_id) is False
    with pytest.raises(InvalidTransition):
        dispensing.record_dispense(session=session, use_id=auth.use_id, pharmacist_id=staff["pharmacist"].id)


def test_a_partial_dispense_leaves_the_prescription_approved(session, staff):
    rx = approved(session, staff, quantity=21)
    auth = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=7)
    dispensing.record_dispense(session=session, use_id=auth.use_id, pharmacist_id=staff["pharmacist"].id)
    session.refresh(rx)
    assert rx.status == "approved" and remaining(session, rx) == 14


def test_an_expired_prescription_cannot_be_dispensed(session, staff, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    rx = approved(session, staff)
    auth = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=7)
    time_machine.shift(timedelta(days=4))
    with pytest.raises(InvalidTransition):
        dispensing.record_dispense(session=session, use_id=auth.use_id, pharmacist_id=staff["pharmacist"].id)


@pytest.mark.parametrize("quantity", [0, -7])
def test_a_quantity_must_be_positive(session, staff, quantity):
    rx = approved(session, staff)
    with pytest.raises(ValidationFailed) as refused:
        dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=quantity)
    assert refused.value.errors == {"quantity": ["Must be positive."]}
    assert remaining(session, rx) == 21
