"""One suggestion, one decision: doctors' requests racing to draft from it make exactly one prescription."""

import pytest
from sqlalchemy import func, select

from assistant import suggestions
from consult.models import Prescription
from core.errors import InvalidTransition
from tests.factories.consult import consultation_in_progress
from tests.factories.identity import make_user
from tests.factories.shop import make_product
from tests.races.conftest import race

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]


def test_eight_drafts_from_one_suggestion_make_exactly_one_prescription(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        patient, doctor = make_user(session, role="patient")[0], make_user(session, role="doctor")[0]
        product = make_product(session, "amoxicillin-500mg-cap", pack_size=21)
        consultation = consultation_in_progress(session, patient, doctor, requested_product_ids=[product.id])
        suggestion = suggestions.suggest(session=session, user=doctor, kind="draft_prescription",
                                         subject_id=consultation.id)
        session.commit()

    def draft(i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            suggestions.draft_from(session=s, doctor=s.merge(doctor), suggestion_id=suggestion.id)

    results = race(8, draft)
    assert results.count(None) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if r is not None), results
    with committed.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Prescription)
                              .where(Prescription.consultation_id == consultation.id)) == 1
