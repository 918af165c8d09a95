"""Consultations over HTTP: triage, the doctors' queue, accepting, messages, completion."""

import pytest

from tests.factories.consult import ensure_formulary

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
    assert doctor.post(f"/api/v1/consultations/{response.json['id']}/accept").status_code in (404, 409)


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
    assert second.status_code in (404, 409)
    if second.status_code == 409:
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
