"""The patient record's clinical facts over HTTP (expected delivery date, eGFR, ancestry, genotypes),
and what signing does with them: a blocking finding is refused, a warning needs a written reason."""

from datetime import timedelta

import pytest

from core.db import utcnow
from tests.factories.consult import consultation_in_progress, item

DIAGNOSIS = {"code": "M54.5", "display": "Low back pain"}


@pytest.fixture
def people(login_as):
    return {"patient": login_as("patient", sex="female"), "doctor": login_as("doctor")}


def draft(session, people, items):
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user)
    return people["doctor"].post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                                 json={"items": items, "diagnosis": DIAGNOSIS}).json


def sign(people, prescription_id, **body):
    return people["doctor"].post(f"/api/v1/prescriptions/{prescription_id}/sign", json=body)


def test_a_patient_records_and_reads_back_the_new_clinical_facts(people):
    today = utcnow().date()
    facts = {"pregnancy_due_date": (today + timedelta(days=100)).isoformat(), "egfr": 52,
             "egfr_measured_on": (today - timedelta(days=3)).isoformat(), "ancestry": ["east-asian", "european"],
             "genotypes": [{"allele": "HLA-B*15:02", "result": "negative"}]}
    assert people["patient"].put("/api/v1/patients/me", json=facts).status_code == 200
    body = people["patient"].get("/api/v1/patients/me").json
    assert {name: body[name] for name in facts} == facts


@pytest.mark.parametrize("changes, field", [
    ({"egfr": 40}, "egfr_measured_on"),  # a value without its date
    ({"egfr": 40, "egfr_measured_on": "2999-01-01"}, "egfr_measured_on"),
    ({"egfr": "40", "egfr_measured_on": "2026-01-01"}, "egfr"),  # a string is not a number
    ({"egfr": 0, "egfr_measured_on": "2026-01-01"}, "egfr"),
    ({"ancestry": ["martian"]}, "ancestry.0"),
    ({"genotypes": [{"allele": "HLA-B 1502", "result": "negative"}]}, "genotypes.0.allele"),
    ({"genotypes": [{"allele": "HLA-B*15:02", "result": "unclear"}]}, "genotypes.0.result"),
    ({"genotypes": [{"allele": "HLA-B*15:02", "result": "negative"}, {"allele": "HLA-B*15:02", "result": "positive"}]},
     "genotypes"),
    ({"pregnancy_due_date": "2999-01-01"}, "pregnancy_due_date"),
])
def test_implausible_clinical_facts_are_refused(people, changes, field):
    response = people["patient"].put("/api/v1/patients/me", json=changes)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_an_expected_delivery_date_for_a_male_patient_is_refused(login_as):
    patient = login_as("patient", sex="male")
    due = (utcnow().date() + timedelta(days=100)).isoformat()
    response = patient.put("/api/v1/patients/me", json={"pregnancy_due_date": due})
    assert response.status_code == 422
    assert response.json["errors"] == {"pregnancy_due_date": ["Inconsistent with sex."]}


def test_metformin_below_an_egfr_of_30_cannot_be_signed(session, people):
    people["patient"].put("/api/v1/patients/me", json={"egfr": 25, "egfr_measured_on": utcnow().date().isoformat()})
    body = draft(session, people, [item("metformin-500mg-tab", dose=500, frequency_per_day=2, quantity=14)])
    signed = sign(people, body["id"])
    assert signed.status_code == 422
    assert signed.json["type"] == "/problems/safety-check-failed"
    assert [(f["code"], f["rule"]) for f in signed.json["safety"]["blocking"]] == [("DC", "DC.renal-threshold")]


def test_an_nsaid_at_31_weeks_of_pregnancy_cannot_be_signed(session, people):
    due = utcnow().date() + timedelta(days=280 - 31 * 7)
    people["patient"].put("/api/v1/patients/me", json={"pregnant": True, "pregnancy_due_date": due.isoformat()})
    body = draft(session, people, [item("ibuprofen-400mg-tab", dose=400, frequency_per_day=3, quantity=21)])
    signed = sign(people, body["id"])
    assert signed.status_code == 422
    assert [(f["code"], f["rule"]) for f in signed.json["safety"]["blocking"]] == [("PG", "PG.gestational-week")]


def test_carbamazepine_without_an_hla_result_is_signed_only_with_a_reason(session, people):
    people["patient"].put("/api/v1/patients/me", json={"pregnant": False, "ancestry": ["southeast-asian"]})
    body = draft(session, people, [item("carbamazepine-200mg-tab", dose=200, frequency_per_day=2, quantity=14)])
    assert [(f["code"], f["rule"]) for f in body["safety"]["warnings"]] == [("TN", "TN.genotype-needed")]
    refused = sign(people, body["id"])
    assert refused.status_code == 422
    assert refused.json["errors"] == {"override_reason": ["Required: the prescription has safety warnings."]}
    signed = sign(people, body["id"], override_reason="On carbamazepine for two years without a rash.")
    assert signed.status_code == 200
    assert signed.json["status"] == "pending_review"


def test_carbamazepine_with_no_ancestry_recorded_asks_for_it_and_a_recorded_european_ancestry_does_not(
        session, people):
    people["patient"].put("/api/v1/patients/me", json={"pregnant": False})
    body = draft(session, people, [item("carbamazepine-200mg-tab", dose=200, frequency_per_day=2, quantity=14)])
    assert body["safety"]["blocking"] == []
    assert [(f["code"], f["rule"]) for f in body["safety"]["warnings"]] == [("TN", "TN.ancestry-unknown")]
    people["patient"].put("/api/v1/patients/me", json={"ancestry": ["european"]})
    body = draft(session, people, [item("carbamazepine-200mg-tab", dose=200, frequency_per_day=2, quantity=14)])
    assert body["safety"] == {"blocking": [], "warnings": []}


def test_a_known_negative_genotype_silences_the_prompt(session, people):
    people["patient"].put("/api/v1/patients/me", json={
        "pregnant": False, "ancestry": ["southeast-asian"],
        "genotypes": [{"allele": "HLA-B*15:02", "result": "negative"}]})
    body = draft(session, people, [item("carbamazepine-200mg-tab", dose=200, frequency_per_day=2, quantity=14)])
    assert body["safety"] == {"blocking": [], "warnings": []}
    assert sign(people, body["id"]).status_code == 200
