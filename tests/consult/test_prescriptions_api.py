"""Prescriptions over HTTP: draft with safety findings, sign, pharmacist review, cancel, expiry."""

import dataclasses
from datetime import date, timedelta

import pytest

from consult import prescriptions
from core.db import utcnow
from tests.factories.consult import approved_prescription, consultation_in_progress, item, signed_prescription

DIAGNOSIS = {"code": "J02.9", "display": "Acute pharyngitis"}


@pytest.fixture
def people(login_as):
    return {"patient": login_as("patient"), "doctor": login_as("doctor"),
            "pharmacist": login_as("pharmacist"), "admin": login_as("admin")}


def draft(session, people, items=None):
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user)
    return people["doctor"].post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                                 json={"items": items or [item()], "diagnosis": DIAGNOSIS})


def test_a_doctor_drafts_a_prescription_with_its_safety_findings(session, people):
    response = draft(session, people)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "draft"
    assert body["safety"] == {"blocking": [], "warnings": []}
    assert body["items"][0]["quantity_remaining"] == 21


def test_a_draft_shows_a_blocking_allergy_and_cannot_be_signed(session, people):
    people["patient"].put("/api/v1/patients/me", json={"allergies": [{"substance": "penicillin"}]})
    body = draft(session, people).json
    assert [f["code"] for f in body["safety"]["blocking"]] == ["DA"]
    signed = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={})
    assert signed.status_code == 422
    assert signed.json["type"] == "/problems/safety-check-failed"
    assert signed.json["safety"]["blocking"][0]["code"] == "DA"
    assert people["doctor"].get(f"/api/v1/prescriptions/{body['id']}").json["status"] == "draft"


def test_warnings_are_signed_only_with_a_written_override_reason(session, people):
    # 10 days exceeds the cn 7-day limit: an MX warning the doctor may override with a reason.
    body = draft(session, people, [item(days_supply=10, quantity=30)]).json
    assert [f["code"] for f in body["safety"]["warnings"]] == ["MX"]
    refused = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={})
    assert refused.status_code == 422
    assert "override_reason" in refused.json["errors"]
    signed = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign",
                                   json={"override_reason": "Chronic condition, stable for a year."})
    assert signed.status_code == 200
    assert signed.json["status"] == "pending_review"
    assert signed.json["override_reason"] == "Chronic condition, stable for a year."


def test_signing_sets_validity_by_the_cn_policy(session, people):
    body = draft(session, people).json
    signed = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={}).json
    from datetime import datetime

    valid_for = datetime.fromisoformat(signed["valid_until"]) - datetime.fromisoformat(signed["signed_at"])
    assert timedelta(days=2) < valid_for <= timedelta(days=4)


def test_refills_are_refused_under_the_cn_policy_with_rule_and_citation(session, people):
    response = draft(session, people, [item(refills=2)])
    assert response.status_code == 422
    assert response.json["type"] == "/problems/policy-violation"
    assert response.json["rule"] and response.json["citation"]


def test_only_the_consultations_doctor_prescribes(session, people, login_as):
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user)
    other = login_as("doctor")
    response = other.post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                          json={"items": [item()], "diagnosis": DIAGNOSIS})
    assert response.status_code == 404


def test_pharmacists_see_the_queue_oldest_first(session, people, login_as):
    first = signed_prescription(session, people["patient"].user, people["doctor"].user)
    second = signed_prescription(session, login_as("patient").user, people["doctor"].user)
    queue = [p["id"] for p in people["pharmacist"].get("/api/v1/prescriptions").json["items"]]
    assert queue.index(first.id) < queue.index(second.id)


def test_claim_then_approve(session, people):
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    pharmacist = people["pharmacist"]
    assert pharmacist.post(f"/api/v1/prescriptions/{rx.id}/approve", json={}).status_code == 403
    assert pharmacist.post(f"/api/v1/prescriptions/{rx.id}/claim").json["claimed_by"] == pharmacist.user.id
    approved = pharmacist.post(f"/api/v1/prescriptions/{rx.id}/approve", json={"note": "OK"})
    assert approved.json["status"] == "approved"
    assert approved.json["reviews"][0]["decision"] == "approved"


def test_a_second_pharmacist_cannot_claim_a_claimed_prescription(session, people, login_as):
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    people["pharmacist"].post(f"/api/v1/prescriptions/{rx.id}/claim")
    other = login_as("pharmacist")
    response = other.post(f"/api/v1/prescriptions/{rx.id}/claim")
    assert response.status_code == 409 and response.json["type"] == "/problems/already-claimed"
    assert other.post(f"/api/v1/prescriptions/{rx.id}/approve", json={}).status_code == 403


def test_a_stale_claim_lapses(session, people, login_as, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    people["pharmacist"].post(f"/api/v1/prescriptions/{rx.id}/claim")
    time_machine.shift(timedelta(minutes=31))
    assert login_as("pharmacist").post(f"/api/v1/prescriptions/{rx.id}/claim").status_code == 200


def test_a_rejection_tells_the_patient_why(session, people):
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    pharmacist = people["pharmacist"]
    pharmacist.post(f"/api/v1/prescriptions/{rx.id}/claim")
    assert pharmacist.post(f"/api/v1/prescriptions/{rx.id}/reject",
                           json={"reason_code": "nonsense"}).status_code == 422
    pharmacist.post(f"/api/v1/prescriptions/{rx.id}/reject",
                    json={"reason_code": "dose", "note": "Please confirm the dose."})
    seen = people["patient"].get(f"/api/v1/prescriptions/{rx.id}").json
    assert seen["status"] == "rejected"
    assert seen["reject_reason_code"] == "dose"
    assert seen["review_note"] == "Please confirm the dose."


def test_approval_rechecks_the_patients_current_record(session, people):
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    people["patient"].put("/api/v1/patients/me", json={"allergies": [{"substance": "penicillin"}]})
    pharmacist = people["pharmacist"]
    pharmacist.post(f"/api/v1/prescriptions/{rx.id}/claim")
    refused = pharmacist.post(f"/api/v1/prescriptions/{rx.id}/approve", json={})
    assert refused.status_code == 422 and refused.json["type"] == "/problems/safety-check-failed"


def test_the_pharmacist_reads_the_record_of_a_claimed_prescriptions_patient(session, people, login_as):
    rx = signed_prescription(session, people["patient"].user, people["doctor"].user)
    pharmacist = people["pharmacist"]
    assert pharmacist.get(f"/api/v1/patients/{rx.patient_id}").status_code == 404
    pharmacist.post(f"/api/v1/prescriptions/{rx.id}/claim")
    assert pharmacist.get(f"/api/v1/patients/{rx.patient_id}").status_code == 200
    assert login_as("pharmacist").get(f"/api/v1/patients/{rx.patient_id}").status_code == 404


@pytest.mark.parametrize("target", ["claim", "approve"])
def test_a_pharmacist_cannot_see_a_draft_so_cannot_claim_or_approve_it(session, people, target):
    rx_id = draft(session, people).json["id"]
    response = people["pharmacist"].post(f"/api/v1/prescriptions/{rx_id}/{target}", json={})
    assert response.status_code == 404, response.json
    assert response.json["type"] == "/problems/not-found"
    assert people["admin"].get(f"/api/v1/prescriptions/{rx_id}").json["status"] == "draft"


def test_a_pharmacist_neither_lists_nor_reads_a_doctors_unsigned_draft(session, people):
    rx_id = draft(session, people).json["id"]
    pharmacist = people["pharmacist"]
    listed = pharmacist.get("/api/v1/prescriptions?status=draft")
    assert listed.status_code == 200
    assert listed.json["items"] == []
    assert rx_id not in [p["id"] for p in pharmacist.get("/api/v1/prescriptions").json["items"]]
    read = pharmacist.get(f"/api/v1/prescriptions/{rx_id}")
    assert read.status_code == 404
    assert [p["id"] for p in people["doctor"].get("/api/v1/prescriptions?status=draft").json["items"]] == [rx_id]


@pytest.mark.parametrize("status,target,who", [
    ("approved", "sign", "doctor"), ("approved", "claim", "pharmacist"),
    ("approved", "approve", "pharmacist"), ("cancelled", "sign", "doctor"),
    ("cancelled", "cancel", "doctor"), ("rejected", "approve", "pharmacist"),
])
def test_illegal_transitions_are_refused(session, people, status, target, who):
    patient, doctor, pharmacist = (people[r].user for r in ("patient", "doctor", "pharmacist"))
    if status == "approved":
        rx_id = approved_prescription(session, patient, doctor, pharmacist).id
    elif status == "cancelled":
        rx_id = signed_prescription(session, patient, doctor).id
        people["doctor"].post(f"/api/v1/prescriptions/{rx_id}/cancel")
    else:
        rx_id = signed_prescription(session, patient, doctor).id
        people["pharmacist"].post(f"/api/v1/prescriptions/{rx_id}/claim")
        people["pharmacist"].post(f"/api/v1/prescriptions/{rx_id}/reject", json={"reason_code": "dose"})
    before = people["admin"].get(f"/api/v1/prescriptions/{rx_id}").json["status"]
    response = people[who].post(f"/api/v1/prescriptions/{rx_id}/{target}", json={})
    assert response.status_code == 409, response.json
    assert response.json["type"] == "/problems/invalid-transition"
    assert people["admin"].get(f"/api/v1/prescriptions/{rx_id}").json["status"] == before


def test_prescriptions_expire_by_the_job(session, people, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    rx = approved_prescription(session, *(people[r].user for r in ("patient", "doctor", "pharmacist")))
    time_machine.shift(timedelta(days=4))
    assert prescriptions.expire_due(session=session) == 1
    session.commit()
    session.refresh(rx)
    assert rx.status == "expired"
    assert prescriptions.expire_due(session=session) == 0


def test_another_patient_sees_nothing_of_a_prescription(session, people, login_as):
    rx = approved_prescription(session, *(people[r].user for r in ("patient", "doctor", "pharmacist")))
    stranger = login_as("patient")
    assert stranger.get(f"/api/v1/prescriptions/{rx.id}").status_code == 404
    assert rx.id not in [p["id"] for p in stranger.get("/api/v1/prescriptions").json["items"]]
    assert stranger.get(f"/api/v1/patients/{rx.patient_id}").status_code == 403
    assert login_as("doctor").get(f"/api/v1/prescriptions/{rx.id}").status_code == 404


# ---- Ryan Haight (us) and the rule-set version -------------------------------------------------------------

CODEINE_ITEM = item("codeine-30mg-tab", dose=30, frequency_per_day=4, days_supply=3, quantity=12)
IN_PERSON = {"kind": "in_person_evaluation", "evaluated_on": "2026-03-02"}


def draft_with(session, people, items, **body):
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user)
    return people["doctor"].post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                                 json={"items": items, "diagnosis": DIAGNOSIS, **body})


def test_under_us_a_controlled_substance_online_needs_an_in_person_evaluation_or_a_named_exception(
        session, people, us_policy):
    refused = draft_with(session, people, [CODEINE_ITEM])
    assert refused.status_code == 422
    assert refused.json["type"] == "/problems/policy-violation"
    assert (refused.json["rule"], refused.json["citation"]) == (
        "us.ryan-haight-in-person-evaluation", "21 U.S.C. 829(e)(1)–(3); 21 CFR 1306.09(a)")
    drafted = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=IN_PERSON)
    assert drafted.status_code == 201
    assert drafted.json["controlled_substance_basis"] == IN_PERSON
    assert drafted.json["ruleset_version"] == "us/2026.12.2"


def test_under_us_an_unknown_telemedicine_exception_is_refused(session, people, us_policy):
    refused = draft_with(session, people, [CODEINE_ITEM],
                         controlled_substance_basis={"kind": "telemedicine_exception", "exception": "friendly"})
    assert (refused.status_code, refused.json["rule"]) == (422, "us.ryan-haight-in-person-evaluation")
    assert "802(54)(A)" in refused.json["detail"]


def covering_for_dr_roe(evaluated_on):
    return {"kind": "covering_practitioner", "covering_for": "Dr Jane Roe, DEA AR1234563",
            "evaluated_on": evaluated_on.isoformat()}


def test_under_us_a_covering_practitioner_prescribes_a_controlled_substance_online_recording_whom_they_cover(
        session, people, us_policy):
    basis = covering_for_dr_roe(date.today() - timedelta(days=200))
    drafted = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=basis)
    assert (drafted.status_code, drafted.json["controlled_substance_basis"]) == (201, basis)
    assert people["doctor"].get(f"/api/v1/prescriptions/{drafted.json['id']}").json[
        "controlled_substance_basis"]["covering_for"] == "Dr Jane Roe, DEA AR1234563"


def test_under_us_a_covering_practitioner_for_an_evaluation_over_24_months_old_is_refused(
        session, people, us_policy):
    refused = draft_with(session, people, [CODEINE_ITEM],
                         controlled_substance_basis=covering_for_dr_roe(date.today() - timedelta(days=800)))
    assert (refused.status_code, refused.json["type"]) == (422, "/problems/policy-violation")
    assert (refused.json["rule"], refused.json["citation"]) == (
        "us.ryan-haight-in-person-evaluation", "21 U.S.C. 829(e)(2)(A)(ii), 829(e)(2)(C)")
    unnamed = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis={
        "kind": "covering_practitioner", "evaluated_on": date.today().isoformat()})
    assert (unnamed.status_code, unnamed.json["detail"]) == (422, "Name the practitioner you are covering for.")


def test_under_cn_a_covering_practitioner_does_not_make_a_controlled_substance_prescribable_online(session, people):
    refused = draft_with(session, people, [CODEINE_ITEM],
                         controlled_substance_basis=covering_for_dr_roe(date.today() - timedelta(days=200)))
    assert (refused.status_code, refused.json["rule"]) == (422, "cn.no-special-management-drugs-online")


def test_under_us_a_non_controlled_drug_needs_no_basis(session, people, us_policy):
    drafted = draft_with(session, people, [item()])
    assert drafted.status_code == 201 and drafted.json["controlled_substance_basis"] is None


def test_under_cn_a_recorded_basis_does_not_make_a_controlled_substance_prescribable_online(session, people):
    refused = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=IN_PERSON)
    assert (refused.status_code, refused.json["rule"]) == (422, "cn.no-special-management-drugs-online")


def test_a_prescription_records_the_rule_set_version_it_was_checked_under(session, people):
    body = draft(session, people).json
    assert body["ruleset_version"] == "cn/2026.12.2"
    signed = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={})
    assert signed.json["ruleset_version"] == "cn/2026.12.2"
    assert people["patient"].get(f"/api/v1/prescriptions/{body['id']}").json["ruleset_version"] == "cn/2026.12.2"


def test_signing_records_the_rule_set_version_in_force_at_signing(session, people, monkeypatch):
    from consult import policy

    body = draft(session, people).json
    monkeypatch.setitem(policy.POLICIES, "cn", dataclasses.replace(policy.CN, version="2027.1.1"))
    signed = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={})
    assert (body["ruleset_version"], signed.json["ruleset_version"]) == ("cn/2026.12.2", "cn/2027.1.1")


# ---- a consultation referred offline ends its online prescribing (cn and us) --------------------------------

RED_FLAG = {"body": "I took too many pills last night"}


def drafted_in_a_consultation(session, people):
    """A consultation in progress and a draft of its doctor's."""
    consultation = consultation_in_progress(session, people["patient"].user, people["doctor"].user)
    body = people["doctor"].post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                                 json={"items": [item()], "diagnosis": DIAGNOSIS}).json
    return consultation, body


def refer_offline(people, consultation_id):
    people["patient"].post(f"/api/v1/consultations/{consultation_id}/messages", json=RED_FLAG)
    assert people["doctor"].get(f"/api/v1/consultations/{consultation_id}").json["status"] == "referred_offline"


@pytest.mark.parametrize("policy", ["cn", "us"])
def test_a_draft_of_a_consultation_referred_offline_is_never_signed(app, session, people, policy, monkeypatch):
    monkeypatch.setitem(app.config, "RXLOOP_POLICY", policy)
    consultation, body = drafted_in_a_consultation(session, people)
    refer_offline(people, consultation.id)
    refused = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={})
    assert (refused.status_code, refused.json["type"]) == (409, "/problems/invalid-transition")
    assert (refused.json["current_status"], refused.json["target_status"], refused.json["consultation_status"]) == (
        "draft", "pending_review", "referred_offline")
    assert people["doctor"].get(f"/api/v1/prescriptions/{body['id']}").json["status"] == "draft"
    cancelled = people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/cancel", json={"reason": "Referred."})
    assert cancelled.json["status"] == "cancelled"


@pytest.mark.parametrize("policy", ["cn", "us"])
def test_a_signed_prescription_of_a_consultation_referred_offline_is_never_approved(
        app, session, people, policy, monkeypatch):
    monkeypatch.setitem(app.config, "RXLOOP_POLICY", policy)
    consultation, body = drafted_in_a_consultation(session, people)
    assert people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={}).json["status"] == "pending_review"
    refer_offline(people, consultation.id)
    pharmacist = people["pharmacist"]
    assert pharmacist.post(f"/api/v1/prescriptions/{body['id']}/claim").status_code == 200
    refused = pharmacist.post(f"/api/v1/prescriptions/{body['id']}/approve", json={"note": "Looks fine."})
    assert (refused.status_code, refused.json["type"]) == (409, "/problems/invalid-transition")
    assert (refused.json["current_status"], refused.json["target_status"], refused.json["consultation_status"]) == (
        "pending_review", "approved", "referred_offline")
    assert pharmacist.get(f"/api/v1/prescriptions/{body['id']}").json["status"] == "pending_review"
    rejected = pharmacist.post(f"/api/v1/prescriptions/{body['id']}/reject",
                               json={"reason_code": "not-clinically-appropriate", "note": "Referred offline."})
    assert rejected.json["status"] == "rejected"


def test_a_prescription_of_a_consultation_still_in_progress_is_signed_and_approved(session, people):
    _, body = drafted_in_a_consultation(session, people)
    assert people["doctor"].post(f"/api/v1/prescriptions/{body['id']}/sign", json={}).json["status"] == "pending_review"
    people["pharmacist"].post(f"/api/v1/prescriptions/{body['id']}/claim")
    approved = people["pharmacist"].post(f"/api/v1/prescriptions/{body['id']}/approve", json={})
    assert approved.json["status"] == "approved"
