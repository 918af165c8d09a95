"""The rules-only provider: deterministic suggestions a doctor drafts from and must still sign."""

from datetime import date

import pytest
from fhir.resources.R4B.provenance import Provenance

from assistant.models import Suggestion
from consult.models import Prescription
from tests.assistant.conftest import ask


def test_the_default_provider_drafts_the_requested_drug_within_its_limits(people, asking_for):
    consultation = asking_for("amoxicillin-500mg-cap")
    response = ask(people["doctor"], "draft_prescription", consultation.id)
    assert response.status_code == 201
    body = response.json
    assert (body["provider"], body["model"]) == ("rules", "rxloop-rules")
    assert len(body["prompt_hash"]) == 64
    [item] = body["suggestion"]["items"]
    assert (item["drug_id"], item["dose"], item["frequency_per_day"], item["days_supply"], item["quantity"]) == \
        ("amoxicillin-500mg-cap", 500, 3, 7, 21)
    assert all(claim["cites"] for claim in item["reasons"])
    assert body["suggestion"]["diagnosis"] == {"code": "J02.9", "display": "Acute pharyngitis"}
    assert body["dropped"] == []


def test_the_same_inputs_give_the_same_suggestion(people, asking_for):
    consultation = asking_for()
    first = ask(people["doctor"], "draft_prescription", consultation.id).json
    second = ask(people["doctor"], "draft_prescription", consultation.id).json
    assert first["suggestion"] == second["suggestion"]
    assert first["prompt_hash"] == second["prompt_hash"]


def test_a_suggestion_accepted_unchanged_is_a_draft_the_doctor_must_still_sign(session, people, asking_for):
    consultation = asking_for()
    suggestion = ask(people["doctor"], "draft_prescription", consultation.id).json
    drafted = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/draft", json={})
    assert drafted.status_code == 201
    assert drafted.json["status"] == "draft"
    assert drafted.json["doctor_id"] == people["doctor"].user.id
    decided = people["doctor"].get(f"/api/v1/assistant/suggestions/{suggestion['id']}").json
    assert (decided["outcome"], decided["outcome_diff"], decided["prescription_id"]) == \
        ("accepted", [], drafted.json["id"])
    assert people["pharmacist"].get("/api/v1/prescriptions").json["items"] == []  # not in the review queue

    signed = people["doctor"].post(f"/api/v1/prescriptions/{drafted.json['id']}/sign", json={})
    assert signed.status_code == 200
    provenance = people["doctor"].get(f"/api/v1/assistant/suggestions/{suggestion['id']}/provenance")
    assert provenance.status_code == 200
    resource = Provenance.model_validate(provenance.json)
    author = next(a for a in resource.agent if a.type.coding[0].code == "author")
    assert author.who.reference == f"Practitioner/{people['doctor'].user.id}"
    device = next(a for a in resource.agent if a.type.coding[0].code == "assembler")
    assert device.who.type == "Device"
    assert resource.entity[0].what.identifier.value == suggestion["id"]


def test_an_edited_suggestion_records_the_diff_and_the_doctor_as_author(session, people, asking_for):
    consultation = asking_for()
    suggestion = ask(people["doctor"], "draft_prescription", consultation.id).json
    item = {k: v for k, v in suggestion["suggestion"]["items"][0].items() if k not in ("reasons", "findings")}
    drafted = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/draft",
                                    json={"items": [{**item, "days_supply": 5, "quantity": 15}]})
    assert drafted.status_code == 201
    decided = people["doctor"].get(f"/api/v1/assistant/suggestions/{suggestion['id']}").json
    assert decided["outcome"] == "edited"
    assert decided["outcome_diff"] == [
        {"path": "items.0.days_supply", "suggested": 7, "written": 5},
        {"path": "items.0.quantity", "suggested": 21, "written": 15}]
    people["doctor"].post(f"/api/v1/prescriptions/{drafted.json['id']}/sign", json={})
    provenance = people["doctor"].get(f"/api/v1/assistant/suggestions/{suggestion['id']}/provenance").json
    assert provenance["agent"][0]["who"]["reference"] == f"Practitioner/{people['doctor'].user.id}"
    assert provenance["entity"][0]["what"]["display"] == "draft_prescription suggestion, edited by the doctor"


def test_a_suggestion_is_decided_once(session, people, asking_for):
    consultation = asking_for()
    suggestion = ask(people["doctor"], "draft_prescription", consultation.id).json
    assert people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/draft", json={}).status_code == 201
    again = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/draft", json={})
    assert again.status_code == 409
    assert again.json["type"] == "/problems/invalid-transition"
    assert session.query(Prescription).filter_by(consultation_id=consultation.id).count() == 1


def test_no_draft_for_a_child_the_doctor_writes_it(session, login_as, people, asking_for):
    people["patient"].put("/api/v1/patients/me", json={"birth_date": date(2019, 1, 1).isoformat(), "weight_kg": 20})
    consultation = asking_for(guardian={"name": "Parent", "relationship": "mother"})
    body = ask(people["doctor"], "draft_prescription", consultation.id).json
    assert body["suggestion"]["items"] == []
    assert body["suggestion"]["claims"][0]["text"].startswith("A child's dose is written by the doctor")


def test_the_summary_cites_the_record_and_the_red_flags(session, people):
    from tests.factories.consult import consultation_in_progress
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user,
                                            symptoms=["cough", "fever"])
    people["patient"].put("/api/v1/patients/me", json={"allergies": [{"substance": "penicillin"}]})
    body = ask(people["doctor"], "consultation_summary", consultation.id).json
    texts = [c["text"] for c in body["suggestion"]["claims"]]
    assert "Symptoms: cough, fever" in texts
    assert "Allergies recorded: penicillin" in texts
    assert body["dropped"] == []


def test_a_pharmacists_review_note_lists_the_findings_it_cites(session, people):
    from tests.factories.consult import item, signed_prescription
    prescription = signed_prescription(session, people["patient"].user, people["doctor"].user,
                                       items=[item(days_supply=10, quantity=30)],
                                       override_reason="Needs ten days.")
    body = ask(people["pharmacist"], "review_note", prescription.id).json
    texts = [c["text"] for c in body["suggestion"]["claims"]]
    assert texts[0].startswith("MX (warning):")
    assert texts[-1] == "The doctor overrode the warnings: Needs ten days."
    assert body["dropped"] == []


def test_the_rules_providers_drafts_pass_the_safety_checks_for_the_demo_patients(session, login_as, use_provider):
    """Every drug the rules provider drafts for the demo's two adults is kept by the gate and signs without
    a blocking finding."""
    from assistant.rules_provider import RulesProvider
    from consult.formulary import get_formulary
    from tests.factories.consult import consultation_in_progress
    from tests.factories.shop import make_product

    use_provider(RulesProvider())
    doctor = login_as("doctor")
    drafted = 0
    for birth_date, sex in ((date(1980, 5, 17), "male"), (date(1992, 9, 3), "female")):
        patient = login_as("patient", birth_date=birth_date, sex=sex, pregnant=False)
        for drug in get_formulary().drugs.values():
            if drug.rx_class != "rx":
                continue
            product = make_product(session, drug.id, stock=0)
            consultation = consultation_in_progress(session, patient.user, doctor.user,
                                                    requested_product_ids=[product.id])
            body = ask(doctor, "draft_prescription", consultation.id).json
            assert [d for d in body["dropped"] if d["what"] == "item"] == [], drug.id
            if body["suggestion"]["items"]:
                draft = doctor.post(f"/api/v1/assistant/suggestions/{body['id']}/draft", json={}).json
                assert draft["safety"]["blocking"] == [], drug.id
                drafted += 1
    assert drafted >= 20
    assert session.query(Suggestion).filter_by(provider="rules", outcome="accepted").count() == drafted


def test_the_prescriptions_own_fhir_provenance_names_the_doctor_author_and_the_assistant_a_device(
        session, people, asking_for):
    consultation = asking_for()
    suggestion = ask(people["doctor"], "draft_prescription", consultation.id).json
    drafted = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/draft", json={}).json
    people["doctor"].post(f"/api/v1/prescriptions/{drafted['id']}/sign", json={})
    response = people["doctor"].get(f"/fhir/R4/Provenance/{drafted['id']}")
    assert response.status_code == 200
    resource = Provenance.model_validate(response.json)
    assert [(a.type.coding[0].code, a.who.reference or a.who.type) for a in resource.agent] == [
        ("author", f"Practitioner/{people['doctor'].user.id}"), ("assembler", "Device")]
    assert resource.entity[0].what.identifier.value == suggestion["id"]


def test_a_prescription_written_without_an_assistant_names_no_device(session, people):
    from tests.factories.consult import signed_prescription
    prescription = signed_prescription(session, people["patient"].user, people["doctor"].user)
    resource = people["doctor"].get(f"/fhir/R4/Provenance/{prescription.id}").json
    assert [a["type"]["coding"][0]["code"] for a in resource["agent"]] == ["author"]
    assert "entity" not in resource
