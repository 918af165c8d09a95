"""The prescription lists (the pharmacist's review queue, the doctor's and the patient's) show each
prescription whole: every field, its items and its reviews, exactly as the single read does."""

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import object_session

from consult import review
from consult.models import PrescriptionItem, PrescriptionReview
from tests.factories.consult import approved_prescription, item, signed_prescription


@pytest.fixture
def people(login_as):
    return {"patient": login_as("patient"), "doctor": login_as("doctor"), "pharmacist": login_as("pharmacist")}


def _at(moment):
    return None if moment is None else moment.isoformat()


def expected(prescription, reviews=()):
    """The API's body for a prescription, written out field by field."""
    return {
        "id": prescription.id, "consultation_id": prescription.consultation_id,
        "patient_id": prescription.patient_id, "doctor_id": prescription.doctor_id,
        "status": prescription.status, "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"},
        "safety": prescription.safety, "override_reason": prescription.override_reason,
        "ruleset_version": prescription.ruleset_version, "controlled_substance_basis": None,
        "items": [{
            "id": i.id, "drug_id": "amoxicillin-500mg-cap", "dose": 500.0, "dose_unit": "mg",
            "frequency_per_day": 3.0, "route": "oral", "days_supply": 7, "quantity": 21, "quantity_units": 21,
            "packs": None, "refills": 0, "instructions": "Take with water.", "quantity_remaining": 21,
            "refills_remaining": 0,
        } for i in prescription_items(prescription)],
        "created_at": _at(prescription.created_at), "signed_at": _at(prescription.signed_at),
        "valid_until": _at(prescription.valid_until), "refills_remaining": 0,
        "claimed_by": prescription.claimed_by, "reviewed_by": prescription.reviewed_by,
        "reviewed_at": _at(prescription.reviewed_at), "review_note": prescription.review_note,
        "reject_reason_code": None, "reject_reason": None,
        "reviews": [{"decision": r.decision, "reason_code": None, "note": r.note, "created_at": _at(r.created_at)}
                    for r in reviews],
    }


def prescription_items(prescription):
    return object_session(prescription).scalars(
        select(PrescriptionItem).where(PrescriptionItem.prescription_id == prescription.id)).all()


def reviews_of(prescription):
    return object_session(prescription).scalars(
        select(PrescriptionReview).where(PrescriptionReview.prescription_id == prescription.id)).all()


@pytest.fixture
def two(session, people):
    """One prescription awaiting review (claimed), one approved."""
    patient, doctor, pharmacist = (people[r].user for r in ("patient", "doctor", "pharmacist"))
    pending = signed_prescription(session, patient, doctor, [item()])
    review.claim(session=session, pharmacist=pharmacist, prescription_id=pending.id)
    session.commit()
    approved = approved_prescription(session, patient, doctor, pharmacist, [item()],
                                     override_reason="Second course, reviewed.")
    session.refresh(pending)
    session.refresh(approved)
    return pending, approved


def test_the_review_queue_shows_each_prescription_whole(people, two):
    pending, _ = two
    body = people["pharmacist"].get("/api/v1/prescriptions?status=pending_review&limit=20").json
    assert body == {"items": [expected(pending)], "next_cursor": None}


def test_the_doctors_list_shows_reviews_of_reviewed_prescriptions(people, two):
    pending, approved = two
    body = people["doctor"].get("/api/v1/prescriptions").json
    assert body == {"items": [expected(pending), expected(approved, reviews_of(approved))], "next_cursor": None}
    assert body["items"][1]["reviews"][0]["note"] == "Checked."
    assert body["items"][1]["safety"]["warnings"][0]["code"] == "TD"


def test_the_patients_list_matches_the_single_reads(people, two):
    patient = people["patient"]
    listed = patient.get("/api/v1/prescriptions").json["items"]
    assert listed == [patient.get(f"/api/v1/prescriptions/{p['id']}").json for p in listed]
    assert len(listed) == 2


def test_the_review_queue_does_not_look_for_reviews_no_prescription_on_it_has(app, people, two):
    statements = []
    engine = app.extensions["rxloop.db"].engine

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert people["pharmacist"].get("/api/v1/prescriptions?status=pending_review").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [s for s in statements if "prescription_items" in s]
    assert not [s for s in statements if "prescription_reviews" in s]
