"""Allergies as recorded: the reaction and its severity, text the formulary cannot match, and
text that says there is no allergy."""

from dataclasses import replace

import pytest

from consult.formulary.matching import is_negated_allergy
from consult.safety_facts import Allergy
from tests.consult.test_safety import ADULT, item, run
from tests.factories.consult import consultation_in_progress
from tests.factories.consult import item as rx_item


def da(substance, drug_id, reaction=None, severity=None):
    patient = replace(ADULT, allergies=(Allergy(substance, reaction, severity),))
    return [(f.severity, f.rule) for f in run([item(drug_id)], patient) if f.code == "DA"]


@pytest.mark.parametrize("substance, reaction, severity, drug_id, expected", [
    # A severe reaction to a penicillin: cephalosporins with a similar side chain block.
    ("Penicillin", "anaphylaxis", None, "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("Penicillin", None, "severe", "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("amoxicillin", "throat swelling", None, "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("Augmentin", "Stevens-Johnson syndrome", None, "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("青霉素", "过敏性休克", None, "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("penicillin (anaphylaxis)", None, None, "cefalexin-500mg-cap", [("blocking", "DA.side-chain")]),
    ("cephalosporins", "anaphylaxis", None, "amoxicillin-500mg-cap", [("blocking", "DA.side-chain")]),
    # … and a mild one, or a dissimilar side chain, warns.
    ("Penicillin", "mild rash", "mild", "cefalexin-500mg-cap", [("warning", "DA.group-cross-reactivity")]),
    ("Penicillin", None, None, "cefalexin-500mg-cap", [("warning", "DA.group-cross-reactivity")]),
    ("Penicillin", "anaphylaxis", "severe", "cefuroxime-250mg-tab", [("warning", "DA.group-cross-reactivity")]),
    ("cefuroxime", "anaphylaxis", None, "amoxicillin-500mg-cap", [("warning", "DA.group-cross-reactivity")]),
    ("sulfa", "anaphylaxis", None, "hydrochlorothiazide-25mg-tab", [("warning", "DA.group-cross-reactivity")]),
    # The drug itself or its class blocks whatever the reaction.
    ("Penicillin", "mild rash", "mild", "amoxicillin-500mg-cap", [("blocking", "DA.group")]),
])
def test_the_reaction_and_its_severity_decide_cross_reactivity(substance, reaction, severity, drug_id, expected):
    assert da(substance, drug_id, reaction, severity) == expected


@pytest.mark.parametrize("substance", ["vancomycin", "万古霉素", "the blue antibiotic", "Zovirax"])
def test_an_allergy_the_formulary_cannot_match_is_a_warning(substance):
    patient = replace(ADULT, allergies=(Allergy(substance),))
    findings = [f for f in run([item("amoxicillin-500mg-cap"), item("paracetamol-500mg-tab")], patient)
                if f.code == "DA"]
    assert [(f.severity, f.rule, f.drugs) for f in findings] == [
        ("warning", "DA.unmatched-allergy", ("amoxicillin-500mg-cap", "paracetamol-500mg-tab"))]
    assert f"Cannot match the recorded allergy '{substance}'" in findings[0].message


@pytest.mark.parametrize("substance", ["peanuts", "花生", "latex", "bee sting", "shellfish", "sulfites"])
def test_a_known_non_drug_allergy_gives_no_finding(substance):
    assert da(substance, "amoxicillin-500mg-cap") == []


@pytest.mark.parametrize("substance", [
    "NKDA", "nka", "No known allergy to penicillin", "no known drug allergies", "None", "none known",
    "Denies allergies", "not allergic to penicillin", "无过敏", "无药物过敏史", "否认药物过敏史", "无", "没有过敏",
])
def test_text_that_says_there_is_no_allergy_is_not_an_allergy(substance):
    assert is_negated_allergy(substance)
    assert da(substance, "amoxicillin-500mg-cap") == []


@pytest.mark.parametrize("substance", [
    "no allergies except penicillin", "None, but penicillin gave hives", "无过敏史，但对青霉素过敏", "penicillin",
    "pen allergy noted",
])
def test_an_allergy_after_a_negation_with_an_exception_is_still_an_allergy(substance):
    assert not is_negated_allergy(substance)


def test_a_negation_with_an_exception_is_screened_as_written():
    assert da("no allergies except penicillin", "amoxicillin-500mg-cap") == [("blocking", "DA.group")]
    assert da("无过敏史，但对青霉素过敏", "amoxicillin-500mg-cap") == [("blocking", "DA.group")]


def test_a_severe_penicillin_allergy_recorded_on_the_profile_blocks_signing_cefalexin(session, login_as):
    patient, doctor = login_as("patient", sex="male"), login_as("doctor")
    patient.put("/api/v1/patients/me", json={"allergies": [
        {"substance": "penicillin", "reaction": "anaphylaxis", "severity": "severe"}, {"substance": "NKDA"}]})
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    draft = doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions", json={
        "items": [rx_item("cefalexin-500mg-cap", dose=500, frequency_per_day=4, quantity=28)],
        "diagnosis": {"code": "L03.1", "display": "Cellulitis"}}).json
    assert [(f["code"], f["rule"]) for f in draft["safety"]["blocking"]] == [("DA", "DA.side-chain")]
    assert draft["safety"]["warnings"] == []
    signed = doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={"override_reason": "Tolerated before."})
    assert signed.status_code == 422
    assert signed.json["type"] == "/problems/safety-check-failed"
