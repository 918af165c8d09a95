"""Consultations over HTTP: triage, the doctors' queue, accepting, messages, completion."""

from datetime import date, timedelta

import pytest

from tests.factories.consult import PRIOR_DIAGNOSIS_EVIDENCE, ensure_formulary, item

FOLLOW_UP = {"chief_complaint": "Sore throat again", "symptoms": ["sore throat", "mild fever"],
             "is_follow_up": True, "prior_diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}


@pytest.fixture(autouse=True)
def formulary(session):
    ensure_formulary(session)


def test_a_follow_up_visit_waits_for_a_doctor(login_as):
    patient = login_as("patient")
    response = patient.post("/api/v1/consultations", json=FOLLOW_UP)
    assert response.status_code == 201
    assert response.json["status"] == "waiting"
    assert response.json["triage"] == {"reasons": []}


def test_red_flag_symptoms_are_referred_offline_and_never_queued(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    response = patient.post("/api/v1/consultations", json={**FOLLOW_UP, "symptoms": ["chest pain"]})
    assert response.status_code == 201
    assert response.json["status"] == "referred_offline"
    assert response.json["triage"]["reasons"]
    queue = doctor.get("/api/v1/consultations?status=waiting").json["items"]
    assert response.json["id"] not in [c["id"] for c in queue]
    accepted = doctor.post(f"/api/v1/consultations/{response.json['id']}/accept")
    assert accepted.status_code == 404  # a doctor sees only the waiting queue and their own
    assert accepted.json["type"] == "/problems/not-found"


def test_a_first_visit_is_referred_offline_under_the_cn_policy(app, login_as):
    assert app.config["RXLOOP_POLICY"] == "cn"
    patient = login_as("patient")
    response = patient.post("/api/v1/consultations", json={
        "chief_complaint": "New rash", "symptoms": ["rash"], "is_follow_up": False})
    assert response.json["status"] == "referred_offline"
    reason = response.json["triage"]["reasons"][0]
    assert reason["rule"] and reason["citation"]


def test_the_queue_is_oldest_first_and_a_doctor_accepts(login_as):
    first, second, doctor = login_as("patient"), login_as("patient"), login_as("doctor")
    a = first.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    b = second.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    queue = [c["id"] for c in doctor.get("/api/v1/consultations?status=waiting").json["items"]]
    assert queue.index(a) < queue.index(b)
    accepted = doctor.post(f"/api/v1/consultations/{a}/accept")
    assert accepted.status_code == 200
    assert accepted.json["status"] == "in_progress"
    assert accepted.json["doctor_id"] == doctor.user.id


def test_a_second_doctor_cannot_accept_an_accepted_consultation(login_as):
    patient, one, other = login_as("patient"), login_as("doctor"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    assert one.post(f"/api/v1/consultations/{cid}/accept").status_code == 200
    second = other.post(f"/api/v1/consultations/{cid}/accept")
    assert second.status_code == 409
    assert second.json["type"] == "/problems/already-claimed"


def test_patient_and_doctor_exchange_messages(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    assert patient.post(f"/api/v1/consultations/{cid}/messages", json={"body": "Still sore"}).status_code == 201
    assert doctor.post(f"/api/v1/consultations/{cid}/messages", json={"body": "Any fever?"}).status_code == 201
    bodies = [m["body"] for m in patient.get(f"/api/v1/consultations/{cid}/messages").json["items"]]
    assert bodies == ["Still sore", "Any fever?"]


def test_the_doctor_completes_with_an_icd10_diagnosis(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    bad = doctor.post(f"/api/v1/consultations/{cid}/complete", json={"diagnosis": {"code": "sore", "display": "x"}})
    assert bad.status_code == 422
    done = doctor.post(f"/api/v1/consultations/{cid}/complete",
                       json={"diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}, "notes": "Rest."})
    assert done.json["status"] == "completed"
    again = doctor.post(f"/api/v1/consultations/{cid}/complete",
                        json={"diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}})
    assert again.status_code == 409 and again.json["type"] == "/problems/invalid-transition"


def test_a_patient_cancels_only_while_waiting(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    waiting = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    assert patient.post(f"/api/v1/consultations/{waiting}/cancel").json["status"] == "cancelled"
    started = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{started}/accept")
    refused = patient.post(f"/api/v1/consultations/{started}/cancel")
    assert refused.status_code == 409 and refused.json["type"] == "/problems/invalid-transition"
    assert doctor.post(f"/api/v1/consultations/{started}/cancel", json={"reason": "No show"}).status_code == 200


@pytest.mark.parametrize("target,status", [("accept", 409), ("complete", 409), ("cancel", 409)])
def test_a_closed_consultation_refuses_every_transition(login_as, target, status):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    doctor.post(f"/api/v1/consultations/{cid}/cancel")
    body = {"diagnosis": {"code": "J02.9", "display": "x"}} if target == "complete" else {}
    response = doctor.post(f"/api/v1/consultations/{cid}/{target}", json=body)
    assert response.status_code in (status, 404)


def test_another_patient_sees_nothing_of_a_consultation(login_as):
    owner, stranger, doctor = login_as("patient"), login_as("patient"), login_as("doctor")
    cid = owner.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    owner.post(f"/api/v1/consultations/{cid}/messages", json={"body": "private"})
    assert stranger.get(f"/api/v1/consultations/{cid}").status_code == 404
    assert stranger.get(f"/api/v1/consultations/{cid}/messages").status_code == 404
    assert stranger.post(f"/api/v1/consultations/{cid}/messages", json={"body": "hi"}).status_code == 404
    assert stranger.post(f"/api/v1/consultations/{cid}/cancel").status_code == 404
    assert cid not in [c["id"] for c in stranger.get("/api/v1/consultations").json["items"]]


def test_a_doctor_reads_a_patient_record_only_while_holding_their_consultation(login_as):
    patient, doctor, other_doctor, admin = (login_as("patient"), login_as("doctor"),
                                            login_as("doctor"), login_as("admin"))
    patient_id = patient.get("/api/v1/patients/me").json["id"]
    assert doctor.get(f"/api/v1/patients/{patient_id}").status_code == 404
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    assert doctor.get(f"/api/v1/patients/{patient_id}").status_code == 200
    assert other_doctor.get(f"/api/v1/patients/{patient_id}").status_code == 404
    reads = admin.get(f"/api/v1/audit?subject=patient:{patient_id}&action=patient.record_read").json["items"]
    # Refused reads are recorded too (issue 13), though their requests change nothing else.
    assert [(r["actor"], r["detail"]) for r in reads] == [
        (doctor.user.id, {"role": "doctor", "refused": True}), (doctor.user.id, {"role": "doctor"}),
        (other_doctor.user.id, {"role": "doctor", "refused": True})]
    doctor.post(f"/api/v1/consultations/{cid}/complete", json={"diagnosis": {"code": "J02.9", "display": "x"}})
    assert doctor.get(f"/api/v1/patients/{patient_id}").status_code == 404


# ---- triage on every message of the patient's -----------------------------------------------------

def test_a_red_flag_in_a_later_message_refers_the_consultation_offline(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    assert patient.post(f"/api/v1/consultations/{cid}/messages",
                        json={"body": "Now the pain is radiating to my left arm"}).status_code == 201
    consultation = patient.get(f"/api/v1/consultations/{cid}").json
    assert consultation["status"] == "referred_offline" and consultation["closed_at"]
    assert [(r["code"], r["source"].split(" ")[:2]) for r in consultation["triage"]["reasons"]] == [
        ("chest-pain", ["NICE", "CG95"])]
    assert [m["body"] for m in doctor.get(f"/api/v1/consultations/{cid}/messages").json["items"]] == [
        "Now the pain is radiating to my left arm"]
    draft = doctor.post(f"/api/v1/consultations/{cid}/prescriptions",
                        json={"items": [item()], "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}})
    assert draft.status_code == 409 and draft.json["type"] == "/problems/invalid-transition"
    again = patient.post(f"/api/v1/consultations/{cid}/messages", json={"body": "hello?"})
    assert again.status_code == 409 and again.json["type"] == "/problems/invalid-transition"


def test_a_red_flag_while_waiting_takes_the_consultation_out_of_the_queue(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    patient.post(f"/api/v1/consultations/{cid}/messages", json={"body": "我不想活了"})
    assert patient.get(f"/api/v1/consultations/{cid}").json["status"] == "referred_offline"
    assert cid not in [c["id"] for c in doctor.get("/api/v1/consultations?status=waiting").json["items"]]


def test_a_fever_earlier_and_a_stiff_neck_later_refer_together(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]  # its symptoms: "mild fever"
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    patient.post(f"/api/v1/consultations/{cid}/messages", json={"body": "脖子僵硬"})
    assert [r["code"] for r in patient.get(f"/api/v1/consultations/{cid}").json["triage"]["reasons"]] == [
        "meningitis-signs"]


@pytest.mark.parametrize("author, body", [("patient", "No chest pain, just the sore throat"),
                                          ("patient", "没有胸痛"),
                                          ("doctor", "Any chest pain or shortness of breath?")])
def test_a_negated_sign_or_the_doctor_asking_about_one_keeps_the_consultation_open(login_as, author, body):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    client = patient if author == "patient" else doctor
    assert client.post(f"/api/v1/consultations/{cid}/messages", json={"body": body}).status_code == 201
    consultation = patient.get(f"/api/v1/consultations/{cid}").json
    assert (consultation["status"], consultation["triage"]["reasons"]) == ("in_progress", [])


def test_the_referral_on_a_message_is_audited_by_code_only(login_as):
    patient, doctor, admin = login_as("patient"), login_as("doctor"), login_as("admin")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    patient.post(f"/api/v1/consultations/{cid}/messages", json={"body": "I took too many pills"})
    entries = admin.get(f"/api/v1/audit?subject=consultation:{cid}&action=consultation.referred_offline").json
    assert [e["detail"] for e in entries["items"]] == [
        {"triage_codes": ["overdose-or-poisoning"], "on": "message"}]


# ---- a child under 6 is seen online only with a guardian present (cn) ----------------------------------------

GUARDIAN = {"name": "Li Na", "relationship": "mother"}


def three_year_old(login_as):
    today = date.today()
    return login_as("patient", birth_date=today.replace(year=today.year - 3, day=1))


def test_under_cn_a_child_under_6_without_a_guardian_is_refused(login_as):
    response = three_year_old(login_as).post("/api/v1/consultations", json=FOLLOW_UP)
    assert response.status_code == 422
    assert response.json["type"] == "/problems/policy-violation"
    assert (response.json["rule"], response.json["citation"]) == (
        "cn.child-under-6-guardian", "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十九条")


def test_under_cn_a_red_flag_refers_a_child_even_without_a_guardian(login_as):
    response = three_year_old(login_as).post("/api/v1/consultations", json={**FOLLOW_UP, "symptoms": ["seizure"]})
    assert (response.status_code, response.json["status"]) == (201, "referred_offline")


def test_under_cn_the_doctor_confirms_the_guardian_before_prescribing_for_a_child(login_as):
    child, doctor = three_year_old(login_as), login_as("doctor")
    created = child.post("/api/v1/consultations", json={**FOLLOW_UP, "guardian": GUARDIAN,
                                                         "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE})
    assert (created.status_code, created.json["guardian"]) == (201, GUARDIAN)
    cid = created.json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    body = {"items": [item(dose=250, frequency_per_day=2, quantity=14)], "diagnosis": FOLLOW_UP["prior_diagnosis"]}
    refused = doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=body)
    assert (refused.status_code, refused.json["rule"]) == (422, "cn.child-under-6-guardian")
    confirmed = doctor.post(f"/api/v1/consultations/{cid}/guardian/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json["guardian"]["confirmed_by"] == doctor.user.id and confirmed.json["guardian"]["confirmed_at"]
    assert doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=body).status_code == 201


def test_only_the_doctor_holding_the_consultation_confirms_the_guardian(login_as):
    child, doctor, other = three_year_old(login_as), login_as("doctor"), login_as("doctor")
    cid = child.post("/api/v1/consultations", json={**FOLLOW_UP, "guardian": GUARDIAN}).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    assert other.post(f"/api/v1/consultations/{cid}/guardian/confirm").status_code in (403, 404)
    assert child.post(f"/api/v1/consultations/{cid}/guardian/confirm").status_code == 403


def test_under_us_confirming_a_guardian_none_recorded_is_a_validation_error(login_as, us_policy):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = patient.post("/api/v1/consultations", json=FOLLOW_UP).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/accept")
    response = doctor.post(f"/api/v1/consultations/{cid}/guardian/confirm")
    assert (response.status_code, response.json["type"], response.json["errors"]) == (
        422, "/problems/validation-error", {"guardian": ["Not recorded."]})


def test_under_us_a_child_needs_no_recorded_guardian(login_as, us_policy):
    response = three_year_old(login_as).post("/api/v1/consultations", json={**FOLLOW_UP, "is_follow_up": False})
    assert (response.status_code, response.json["status"], response.json["guardian"]) == (201, "waiting", None)


# ---- a follow-up is prescribed for on a confirmed record of its offline diagnosis (cn) ------------------------

FOLLOW_UP_RULE = ("cn.follow-up-prior-diagnosis-evidence", "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十六条")
PRESCRIPTION = {"items": [item()], "diagnosis": FOLLOW_UP["prior_diagnosis"]}


def accepted_follow_up(patient, doctor, **fields):
    created = patient.post("/api/v1/consultations", json={**FOLLOW_UP, **fields})
    assert (created.status_code, created.json["status"]) == (201, "waiting")
    doctor.post(f"/api/v1/consultations/{created.json['id']}/accept")
    return created


def test_under_cn_a_follow_up_without_a_record_of_its_offline_diagnosis_is_not_prescribed_for(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    created = accepted_follow_up(patient, doctor)
    assert created.json["prior_diagnosis_evidence"] is None
    cid = created.json["id"]
    refused = doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=PRESCRIPTION)
    assert (refused.status_code, refused.json["type"]) == (422, "/problems/policy-violation")
    assert (refused.json["rule"], refused.json["citation"]) == FOLLOW_UP_RULE
    unconfirmable = doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    assert (unconfirmable.status_code, unconfirmable.json["rule"]) == (422, FOLLOW_UP_RULE[0])


def test_under_cn_the_doctor_confirms_the_record_of_the_offline_diagnosis_before_prescribing(login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    created = accepted_follow_up(patient, doctor, prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE)
    assert created.json["prior_diagnosis_evidence"] == PRIOR_DIAGNOSIS_EVIDENCE
    cid = created.json["id"]
    refused = doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=PRESCRIPTION)
    assert (refused.status_code, refused.json["rule"], refused.json["citation"]) == (422, *FOLLOW_UP_RULE)
    assert refused.json["detail"] == "Confirm the record of the prior offline diagnosis before prescribing."
    confirmed = doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    assert confirmed.status_code == 200
    evidence = confirmed.json["prior_diagnosis_evidence"]
    assert {key: evidence[key] for key in PRIOR_DIAGNOSIS_EVIDENCE} == PRIOR_DIAGNOSIS_EVIDENCE
    assert evidence["confirmed_by"] == doctor.user.id and evidence["confirmed_at"]
    assert doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=PRESCRIPTION).status_code == 201


def test_confirming_the_prior_diagnosis_is_audited_without_its_details(login_as):
    patient, doctor, admin = login_as("patient"), login_as("doctor"), login_as("admin")
    cid = accepted_follow_up(patient, doctor, prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE).json["id"]
    doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    entries = admin.get(f"/api/v1/audit?subject=consultation:{cid}"
                        "&action=consultation.prior_diagnosis_confirmed").json["items"]
    assert [(e["actor"], e["detail"]) for e in entries] == [(doctor.user.id, {})]


def test_only_the_doctor_holding_the_consultation_confirms_the_prior_diagnosis_while_it_is_open(login_as):
    patient, doctor, other = login_as("patient"), login_as("doctor"), login_as("doctor")
    cid = accepted_follow_up(patient, doctor, prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE).json["id"]
    assert other.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm").status_code == 404
    assert patient.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm").status_code == 403
    doctor.post(f"/api/v1/consultations/{cid}/cancel", json={})
    closed = doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    assert (closed.status_code, closed.json["type"]) == (409, "/problems/invalid-transition")


@pytest.mark.parametrize("policy", ["cn", "us"])
def test_a_prior_diagnosis_cannot_be_dated_in_the_future(app, login_as, policy, monkeypatch):
    monkeypatch.setitem(app.config, "RXLOOP_POLICY", policy)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = login_as("patient").post("/api/v1/consultations", json={
        **FOLLOW_UP, "prior_diagnosis_evidence": {**PRIOR_DIAGNOSIS_EVIDENCE, "date": tomorrow}})
    assert (response.status_code, response.json["type"]) == (422, "/problems/validation-error")
    assert response.json["errors"] == {"prior_diagnosis_evidence.date": ["Not in the future."]}


@pytest.mark.parametrize("missing", ["institution", "date", "document_reference"])
def test_the_record_of_a_prior_diagnosis_names_its_institution_date_and_document(login_as, missing):
    evidence = {key: value for key, value in PRIOR_DIAGNOSIS_EVIDENCE.items() if key != missing}
    response = login_as("patient").post("/api/v1/consultations", json={**FOLLOW_UP,
                                                                      "prior_diagnosis_evidence": evidence})
    assert (response.status_code, response.json["type"]) == (422, "/problems/validation-error")


def test_under_us_a_follow_up_is_prescribed_for_without_a_record_of_its_offline_diagnosis(login_as, us_policy):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = accepted_follow_up(patient, doctor).json["id"]
    assert doctor.post(f"/api/v1/consultations/{cid}/prescriptions", json=PRESCRIPTION).status_code == 201
    nothing = doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    assert (nothing.status_code, nothing.json["type"]) == (422, "/problems/validation-error")


def test_under_us_a_record_of_the_offline_diagnosis_is_kept_and_may_be_confirmed(login_as, us_policy):
    patient, doctor = login_as("patient"), login_as("doctor")
    cid = accepted_follow_up(patient, doctor, prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE).json["id"]
    confirmed = doctor.post(f"/api/v1/consultations/{cid}/prior-diagnosis/confirm")
    assert (confirmed.status_code, confirmed.json["prior_diagnosis_evidence"]["confirmed_by"]) == (200, doctor.user.id)
