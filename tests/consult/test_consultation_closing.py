"""A consultation is never closed before it was created: the domain takes care, the database refuses."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from consult import consultations
from consult.models import Consultation
from core.db import utcnow

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
