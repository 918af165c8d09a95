"""A consultation, a prescription or an order is never closed before it was created: the domain takes care,
the database refuses."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from consult import consultations, prescriptions
from consult.models import Consultation
from core.db import utcnow
from shop.models import Order
from tests.factories.consult import approved_prescription
from tests.factories.shop import ADDRESS, make_product

FOLLOW_UP = {"chief_complaint": "Sore throat again", "symptoms": ["sore throat"], "is_follow_up": True,
             "prior_diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}


def test_a_consultation_referred_offline_at_once_closes_when_it_was_created(session, login_as):
    patient = login_as("patient")
    created = consultations.create(session=session, user=patient.user, **{**FOLLOW_UP, "is_follow_up": False})
    assert created.status == "referred_offline"
    assert created.closed_at == created.created_at


def test_a_clock_stepped_back_never_closes_a_consultation_before_it_opened(session, login_as, time_machine):
    patient = login_as("patient")
    opened_at = utcnow()
    time_machine.move_to(opened_at, tick=False)
    consultation = consultations.create(session=session, user=patient.user, **FOLLOW_UP)
    time_machine.move_to(opened_at - timedelta(minutes=5), tick=False)  # an NTP correction, say
    cancelled = consultations.cancel(session=session, user=patient.user, consultation_id=consultation.id,
                                     reason="Feeling better.")
    assert cancelled.closed_at == cancelled.created_at == opened_at


def test_the_database_refuses_a_closing_time_before_the_creation(session, login_as):
    patient = login_as("patient")
    consultation = consultations.create(session=session, user=patient.user, **FOLLOW_UP)
    session.flush()
    with pytest.raises(IntegrityError):
        session.execute(update(Consultation).where(Consultation.id == consultation.id)
                        .values(status="cancelled", closed_at=consultation.created_at - timedelta(seconds=1)))


def test_prescriptions_and_orders_are_never_closed_before_they_were_created_either(session, login_as):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    ordered = patient.post("/api/v1/orders", headers={"Idempotency-Key": "closing-00001"}, json={
        "items": [{"product_id": make_product(session).id, "quantity": 1}], "shipping_address": ADDRESS})
    order = session.get(Order, ordered.json["id"])
    for row in (rx, order):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(update(type(row)).where(type(row).id == row.id)
                            .values(closed_at=row.created_at - timedelta(seconds=1)))


def test_an_expiry_run_with_an_earlier_clock_closes_a_prescription_when_it_was_created(session, login_as):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    earlier = rx.created_at - timedelta(minutes=5)
    rx.valid_until = earlier
    session.flush()
    assert prescriptions.expire_due(session=session, now=earlier) == 1
    assert (rx.status, rx.closed_at) == ("expired", rx.created_at)
