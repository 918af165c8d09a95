"""FHIR reads and searches follow the API's access rules exactly, and every staff read is audited."""

from sqlalchemy import select

from core.audit import AuditEntry
from tests.factories.fhir import make_record
from tests.fhir_api.conftest import references, validate


def ids(response):
    assert response.status_code == 200, response.json
    return [e["resource"]["id"] for e in response.json.get("entry", [])]


def actions_of(session, actor_id):
    session.expire_all()
    return [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor_id)
                                              .order_by(AuditEntry.seq))]


def test_another_patient_finds_nothing_and_reads_nothing(record, login_as):
    stranger = login_as("patient")
    assert ids(stranger.get(f"/fhir/R4/MedicationRequest?patient={record.patient_id}")) == []
    assert ids(stranger.get(f"/fhir/R4/MedicationDispense?patient={record.patient_id}")) == []
    assert ids(stranger.get(f"/fhir/R4/Patient?identifier={record.patient_id}")) == []
    for path in (f"Patient/{record.patient_id}", f"Patient/{record.patient_id}/$everything",
                 f"MedicationRequest/{record.item_ids[0]}", f"MedicationDispense/{record.line_id}",
                 f"Encounter/{record.prescription.consultation_id}", f"Provenance/{record.prescription.id}"):
        response = stranger.get(f"/fhir/R4/{path}")
        assert (response.status_code, response.json["resourceType"]) == (404, "OperationOutcome"), path


def test_a_patient_s_searches_return_only_their_own(record, login_as, session):
    other = login_as("patient")
    theirs = make_record(session, login_as, key="fhir-record-0002",
                         people={**record.people, "patient": other})
    mine = record.people["patient"]
    assert sorted(ids(mine.get("/fhir/R4/MedicationRequest"))) == sorted(record.item_ids)
    assert ids(mine.get("/fhir/R4/MedicationDispense")) == [record.line_id]
    assert ids(mine.get("/fhir/R4/Patient")) == [record.patient_id]
    assert ids(other.get("/fhir/R4/MedicationDispense")) == [theirs.line_id]


def test_a_doctor_sees_the_prescriptions_they_wrote_but_no_dispenses(record, login_as):
    other_doctor = login_as("doctor")
    assert sorted(ids(record.people["doctor"].get("/fhir/R4/MedicationRequest"))) == sorted(record.item_ids)
    assert ids(other_doctor.get("/fhir/R4/MedicationRequest")) == []
    assert other_doctor.get(f"/fhir/R4/Provenance/{record.prescription.id}").status_code == 404
    response = record.people["doctor"].get("/fhir/R4/MedicationDispense")
    assert (response.status_code, response.json["issue"][0]["code"]) == (403, "forbidden")


def test_encounters_are_searched_as_the_consultations_api_shows_them(record, login_as):
    consultation_id = record.prescription.consultation_id
    assert ids(record.people["patient"].get(f"/fhir/R4/Encounter?patient={record.patient_id}")) == [consultation_id]
    assert ids(record.people["patient"].get("/fhir/R4/Encounter?status=in-progress")) == [consultation_id]
    assert ids(record.people["patient"].get("/fhir/R4/Encounter?status=finished")) == []
    assert record.people["pharmacist"].get("/fhir/R4/Encounter").status_code == 403
    assert record.people["pharmacist"].get(f"/fhir/R4/Encounter/{consultation_id}").status_code == 403
    assert ids(login_as("patient").get(f"/fhir/R4/Encounter?patient={record.patient_id}")) == []
    assert ids(record.people["admin"].get(f"/fhir/R4/Encounter?patient={record.patient_id}")) == [consultation_id]


def test_a_doctor_reads_a_patient_only_during_a_consultation_in_progress(record, login_as):
    assert ids(record.people["doctor"].get("/fhir/R4/Patient")) == [record.patient_id]
    assert ids(login_as("doctor").get("/fhir/R4/Patient")) == []


def test_only_admins_read_or_search_the_audit_trail(record):
    for role in ("patient", "doctor", "pharmacist"):
        caller = record.people[role]
        assert caller.get("/fhir/R4/AuditEvent").status_code == 403, role
        assert caller.get("/fhir/R4/AuditEvent/1").status_code == 403, role
    assert record.people["admin"].get("/fhir/R4/AuditEvent?_count=1").status_code == 200
    assert record.people["admin"].get("/fhir/R4/AuditEvent/nope").status_code == 404


def test_directory_resources_need_a_token(client, record):
    for path in (f"Practitioner/{record.people['doctor'].user.id}", "Organization/pharmacy",
                 "Medication/amoxicillin-500mg-cap", "Practitioner", "Medication?code=J01CA04"):
        response = client.get(f"/fhir/R4/{path}")
        assert (response.status_code, response.headers["WWW-Authenticate"]) == (401, 'Bearer realm="rxloop"'), path


def test_staff_searches_and_reads_are_audited_per_patient(record, session):
    pharmacist = record.people["pharmacist"]
    assert ids(pharmacist.get(f"/fhir/R4/MedicationRequest?patient={record.patient_id}"))
    assert ids(pharmacist.get(f"/fhir/R4/MedicationDispense?patient={record.patient_id}"))
    assert pharmacist.get(f"/fhir/R4/Provenance/{record.prescription.id}").status_code == 200
    admin = record.people["admin"]
    assert admin.get(f"/fhir/R4/Encounter/{record.prescription.consultation_id}").status_code == 200
    assert ids(admin.get("/fhir/R4/Patient?_count=100"))
    assert ids(admin.get(f"/fhir/R4/Encounter?patient={record.patient_id}"))
    entries = {e.action: e for e in session.scalars(select(AuditEntry).where(
        AuditEntry.patient_id == record.patient_id, AuditEntry.action.like("fhir.%")))}
    assert {"fhir.medication_request_search", "fhir.medication_dispense_search", "fhir.provenance_read",
            "fhir.encounter_read", "fhir.patient_search", "fhir.encounter_search"} <= set(entries)
    assert entries["fhir.medication_request_search"].detail["prescription_ids"] == [record.prescription.id]


def test_a_patient_s_own_searches_are_no_disclosure(record, session):
    patient = record.people["patient"]
    ids(patient.get("/fhir/R4/MedicationRequest"))
    assert "fhir.medication_request_search" not in actions_of(session, patient.user.id)


def test_everything_is_the_patient_s_whole_record(record):
    response = record.people["patient"].get(f"/fhir/R4/Patient/{record.patient_id}/$everything")
    assert response.status_code == 200
    validate(response.json)
    types = [e["resource"]["resourceType"] for e in response.json["entry"]]
    assert types[0] == "Patient" and response.json["entry"][0]["search"]["mode"] == "match"
    assert {t: types.count(t) for t in set(types)} == {
        "Patient": 1, "Encounter": 1, "MedicationRequest": 2, "Provenance": 1, "MedicationDispense": 1,
        "Practitioner": 2, "Medication": 2, "Organization": 1}
    in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in response.json["entry"]}
    assert set(references(response.json)) <= in_bundle  # complete in itself


def test_everything_for_a_doctor_leaves_out_the_orders_they_may_not_see(record, session):
    response = record.people["doctor"].get(f"/fhir/R4/Patient/{record.patient_id}/$everything")
    assert response.status_code == 200
    types = {e["resource"]["resourceType"] for e in response.json["entry"]}
    assert "MedicationDispense" not in types and "MedicationRequest" in types
    assert "fhir.everything_read" in actions_of(session, record.people["doctor"].user.id)
