"""The loop back from a refused prescription-medicine purchase to a doctor, followed as a client would: the
ready consultation body, the fields the problem says to add, the requested products the doctor drafts from."""

from datetime import date

import pytest
from sqlalchemy import func, select

from consult.models import Consultation
from consult.policy import CN, US, prescription_consultation_needs
from tests.factories.consult import AMOXICILLIN, PRIOR_DIAGNOSIS_EVIDENCE
from tests.factories.shop import ADDRESS, make_product

TONSILLITIS = {"code": "J03.9", "display": "Acute tonsillitis"}


@pytest.fixture
def capsules21(session):
    return make_product(session, AMOXICILLIN, pack_size=21, stock=10, name="Amoxicillin 500 mg capsules x21")


def refused_checkout(patient, product, packs=1, key="loop-back-0001"):
    response = patient.post("/api/v1/orders", headers={"Idempotency-Key": key}, json={
        "items": [{"product_id": product.id, "quantity": packs}], "shipping_address": ADDRESS})
    assert (response.status_code, response.json["type"]) == (409, "/problems/prescription-required")
    return response.json


def fill_in(schema: dict, facts: dict) -> dict:
    """What a client does with the problem's JSON Schema fragment: give every required field, from what the
    patient knows (`facts`), each checked against the fragment's own required members."""
    added = {}
    for name in schema["required"]:
        field = schema["properties"][name]
        added[name] = {key: facts[name][key] for key in field["required"]}
    return added


PATIENT_KNOWS = {"prior_diagnosis": TONSILLITIS, "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE,
                 "guardian": {"name": "Zhang Wei", "relationship": "mother"}}


def consultations_of(session):
    return session.scalar(select(func.count()).select_from(Consultation))


def test_the_refusal_carries_product_and_drug_and_names_what_cn_needs(login_as, capsules21):
    problem = refused_checkout(login_as("patient"), capsules21, packs=2)
    assert problem["consultation_request"]["requested_products"] == [
        {"product_id": capsules21.id, "drug_id": AMOXICILLIN, "packs": 2}]
    assert problem["consultation_request"]["requested_product_ids"] == [capsules21.id]
    assert problem["consultation_request_missing"] == ["prior_diagnosis", "prior_diagnosis_evidence"]
    schema = problem["consultation_request_schema"]
    assert schema["required"] == ["prior_diagnosis", "prior_diagnosis_evidence"]
    assert schema["properties"]["prior_diagnosis_evidence"]["required"] == ["institution", "date",
                                                                            "document_reference"]


def test_the_ready_body_alone_is_told_what_to_add_and_never_referred_offline(session, login_as, capsules21):
    patient = login_as("patient")
    problem = refused_checkout(patient, capsules21)
    before = consultations_of(session)
    response = patient.post(problem["consultation_url"], json=problem["consultation_request"])
    assert (response.status_code, response.json["type"]) == (422, "/problems/validation-error")
    assert response.json["missing"] == problem["consultation_request_missing"]
    assert response.json["schema"] == problem["consultation_request_schema"]
    assert sorted(response.json["errors"]) == ["prior_diagnosis", "prior_diagnosis_evidence"]
    assert consultations_of(session) == before  # nothing was created


def test_a_client_following_the_problem_gets_its_medicine(session, login_as, capsules21):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    problem = refused_checkout(patient, capsules21)

    body = {**problem["consultation_request"], **fill_in(problem["consultation_request_schema"], PATIENT_KNOWS)}
    opened = patient.post(problem["consultation_url"], json=body)
    assert (opened.status_code, opened.json["status"]) == (201, "waiting")

    cid = opened.json["id"]
    assert doctor.post(f"/api/v1/consultations/{cid}/accept").status_code == 200
    shown = doctor.get(f"/api/v1/consultations/{cid}").json
    assert shown["requested_products"] == [{"product_id": capsules21.id, "drug_id": AMOXICILLIN,
                                            "name": "Amoxicillin 500 mg capsules x21", "pack_size": 21, "packs": 1}]
    assert doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm").status_code == 200
    # The doctor drafts straight from the requested product: no drug id, no pack size to look up.
    wanted = shown["requested_products"][0]
    draft = doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json={"diagnosis": TONSILLITIS, "items": [
        {"product_id": wanted["product_id"], "packs": wanted["packs"], "dose": 500, "dose_unit": "mg",
         "frequency_per_day": 3, "route": "oral", "days_supply": 7}]})
    assert draft.status_code == 201, draft.json
    assert draft.json["items"][0]["quantity_units"] == 21
    rx = draft.json["id"]
    assert doctor.post(f"/api/v1/prescriptions/{rx}/sign", json={}).status_code == 200
    assert pharmacist.post(f"/api/v1/prescriptions/{rx}/claim").status_code == 200
    assert pharmacist.post(f"/api/v1/prescriptions/{rx}/approve", json={}).status_code == 200

    ordered = patient.post("/api/v1/orders", headers={"Idempotency-Key": "loop-back-0002"}, json={
        "items": [{"product_id": capsules21.id, "quantity": 1}], "shipping_address": ADDRESS})
    assert ordered.status_code == 201, ordered.json
    assert ordered.json["items"][0]["prescription_id"] == rx


def test_a_young_child_is_also_asked_for_a_guardian(login_as, capsules21):
    child = login_as("patient", birth_date=date(date.today().year - 3, 1, 1))
    problem = refused_checkout(child, capsules21)
    assert problem["consultation_request_missing"] == ["prior_diagnosis", "prior_diagnosis_evidence", "guardian"]
    body = {**problem["consultation_request"], **fill_in(problem["consultation_request_schema"], PATIENT_KNOWS)}
    assert child.post(problem["consultation_url"], json=body).json["status"] == "waiting"


def test_under_us_the_ready_body_is_accepted_as_it_is(login_as, capsules21, us_policy):
    patient = login_as("patient")
    problem = refused_checkout(patient, capsules21)
    assert (problem["consultation_request_missing"], problem["consultation_request_schema"]["required"]) == ([], [])
    opened = patient.post(problem["consultation_url"], json=problem["consultation_request"])
    assert (opened.status_code, opened.json["status"]) == (201, "waiting")


def test_an_unknown_requested_product_is_a_validation_error(login_as):
    response = login_as("patient").post("/api/v1/consultations", json={
        "chief_complaint": "Refill", "is_follow_up": True, "prior_diagnosis": TONSILLITIS,
        "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE, "requested_products": [{"product_id": "prd-nope"}]})
    assert (response.status_code, list(response.json["errors"])) == (422, ["requested_products.0.product_id"])


def test_a_requested_drug_that_is_not_the_products_is_refused(login_as, capsules21):
    response = login_as("patient").post("/api/v1/consultations", json={
        "chief_complaint": "Refill", "is_follow_up": True, "prior_diagnosis": TONSILLITIS,
        "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE,
        "requested_products": [{"product_id": capsules21.id, "drug_id": "paracetamol-500mg-tab"}]})
    assert (response.status_code, list(response.json["errors"])) == (422, ["requested_products.0.drug_id"])


def test_a_consultation_without_requested_products_keeps_its_old_rules(login_as):
    """Not asking for a prescription, a cn follow-up may still come without the record (it is asked for later)."""
    response = login_as("patient").post("/api/v1/consultations", json={
        "chief_complaint": "Sore throat again", "is_follow_up": True, "prior_diagnosis": TONSILLITIS})
    assert (response.status_code, response.json["status"], response.json["requested_products"]) == (
        201, "waiting", [])


@pytest.mark.parametrize("policy, age, needs", [
    (CN, 30, ("prior_diagnosis", "prior_diagnosis_evidence")),
    (CN, 5, ("prior_diagnosis", "prior_diagnosis_evidence", "guardian")),
    (CN, 6, ("prior_diagnosis", "prior_diagnosis_evidence")),
    (CN, None, ("prior_diagnosis", "prior_diagnosis_evidence")),
    (US, 5, ()),
])
def test_what_a_consultation_for_a_prescription_needs_by_policy_and_age(policy, age, needs):
    assert prescription_consultation_needs(policy, age_years=age) == needs
