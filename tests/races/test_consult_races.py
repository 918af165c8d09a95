"""Exactly one winner when doctors, pharmacists or purchases race for the same thing."""

import pytest

from consult import consultations, dispensing, review
from consult.dispensing import PrescriptionExhausted
from core.errors import DomainError
from tests.factories.consult import AMOXICILLIN, approved_prescription, ensure_formulary, item, signed_prescription
from tests.factories.identity import make_user
from tests.races.conftest import race

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]

def test_sixteen_doctors_accepting_one_consultation_make_exactly_one_winner(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        patient, _ = make_user(session, role="patient")

        ensure_formulary(session)
        consultation = consultations.create(session=session, user=patient, chief_complaint="Follow-up",
                                            symptoms=[], is_follow_up=True,
                                            prior_diagnosis={"code": "J02.9", "display": "x"})
        doctors = [make_user(session, role="doctor")[0] for _ in range(16)]
        session.commit()

    def accept(i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            consultations.accept(session=s, doctor=s.merge(doctors[i]), consultation_id=consultation.id)

    results = race(16, accept)
    assert results.count(None) == 1
    losers = [r for r in results if r is not None]
    assert all(isinstance(r, DomainError) and r.slug in ("already-claimed", "invalid-transition")
               for r in losers), losers

def test_sixteen_pharmacists_claiming_one_prescription_make_exactly_one_winner(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        patient, doctor = make_user(session, role="patient")[0], make_user(session, role="doctor")[0]

        rx = signed_prescription(session, patient, doctor)
        pharmacists = [make_user(session, role="pharmacist")[0] for _ in range(16)]

    def claim(i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            review.claim(session=s, pharmacist=s.merge(pharmacists[i]), prescription_id=rx.id)

    results = race(16, claim)
    assert results.count(None) == 1
    assert all(isinstance(r, DomainError) and r.slug == "already-claimed" for r in results if r is not None)

def test_thirty_two_purchases_of_one_unit_against_thirty_units_make_thirty(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        staff = [make_user(session, role=r)[0] for r in ("patient", "doctor", "pharmacist")]
        rx = approved_prescription(session, *staff, items=[item(quantity=30)])

    def buy(i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            return dispensing.authorize_use(session=s, patient_id=rx.patient_id, drug_id=AMOXICILLIN, quantity=1)

    results = race(32, buy)
    wins = [r for r in results if isinstance(r, dispensing.Authorization)]
    assert len(wins) == 30
    assert all(isinstance(r, PrescriptionExhausted) for r in results if r not in wins)
    with committed.sessionmaker() as session:
        from consult.models import PrescriptionItem

        assert session.query(PrescriptionItem).filter_by(prescription_id=rx.id).one().quantity_remaining == 0

