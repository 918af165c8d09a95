"""Bulk Data $export: an administrator's kick-off, a status URL answering 202 then the manifest,
NDJSON files of valid resources; the job is a plain function called here directly."""

import json

import pytest

from fhir_api import export
from tests.fhir_api.conftest import validate

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def queued(app):
    """Exports wait for the job (as with a worker), so the test runs it when it chooses."""
    saved = app.config["FHIR_EXPORT_IN_PROCESS"]
    app.config["FHIR_EXPORT_IN_PROCESS"] = False
    yield
    app.config["FHIR_EXPORT_IN_PROCESS"] = saved


def kick_off(admin, query=""):
    response = admin.get(f"/fhir/R4/$export{query}", headers=ASYNC)
    assert response.status_code == 202, response.json
    return response.headers["Content-Location"][response.headers["Content-Location"].index("/fhir/R4/"):]


def test_an_export_is_pending_until_its_job_runs_then_lists_ndjson_files(record, session, queued):
    admin = record.people["admin"]
    status_url = kick_off(admin)
    pending = admin.get(status_url)
    assert (pending.status_code, pending.headers["X-Progress"]) == (202, "in progress")
    job_id = status_url.rsplit("/", 1)[1]
    assert export.run(session=session, job_id=job_id) > 0
    session.commit()
    done = admin.get(status_url)
    assert done.status_code == 200 and done.mimetype == "application/json"
    manifest = done.json
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    files = {f["type"]: f for f in manifest["output"]}
    assert set(files) == set(export.TYPES)
    for kind, listed in files.items():
        response = admin.get(listed["url"][listed["url"].index("/fhir/R4/"):])
        assert response.status_code == 200 and response.mimetype == "application/fhir+ndjson"
        lines = response.get_data(as_text=True).splitlines()
        assert len(lines) == listed["count"]
        for line in lines:
            assert validate(json.loads(line)).__resource_type__ == kind
    patients = [json.loads(line)["id"] for line in admin.get(
        files["Patient"]["url"][files["Patient"]["url"].index("/fhir/R4/"):]).get_data(as_text=True).splitlines()]
    assert record.patient_id in patients


def test_a_finished_export_is_not_run_twice(record, session, queued):
    job_id = kick_off(record.people["admin"], "?_type=Organization").rsplit("/", 1)[1]
    assert export.run(session=session, job_id=job_id) == 1
    assert export.run(session=session, job_id=job_id) == 0


def test_type_narrows_the_export_and_unknown_types_are_refused(record, session, queued):
    admin = record.people["admin"]
    job_id = kick_off(admin, "?_type=Patient,Medication").rsplit("/", 1)[1]
    export.run_pending(session=session)
    session.commit()
    assert sorted(f["type"] for f in admin.get(f"/fhir/R4/$export-status/{job_id}").json["output"]) == [
        "Medication", "Patient"]
    for query in ("?_type=Observation", "?_since=2026-01-01", "?_outputFormat=text/csv"):
        assert admin.get(f"/fhir/R4/$export{query}", headers=ASYNC).status_code == 400, query


def test_the_kick_off_needs_respond_async(record):
    response = record.people["admin"].get("/fhir/R4/$export")
    assert (response.status_code, response.json["resourceType"]) == (400, "OperationOutcome")


def test_only_admins_export(record):
    for role in ("patient", "doctor", "pharmacist"):
        caller = record.people[role]
        assert caller.get("/fhir/R4/$export", headers=ASYNC).status_code == 403, role
        assert caller.get("/fhir/R4/$export-status/exp-x").status_code == 403, role
        assert caller.get("/fhir/R4/$export-file/exf-x").status_code == 403, role


def test_an_export_is_audited_as_a_read_of_each_patient_s_record(record, session, queued):
    admin = record.people["admin"]
    job_id = kick_off(admin, "?_type=MedicationRequest").rsplit("/", 1)[1]
    export.run(session=session, job_id=job_id)
    session.commit()
    log = record.people["patient"].get("/api/v1/patients/me/access-log?limit=100").json["items"]
    assert any(e["action"] == "fhir.export_read" and e["who"] == admin.user.id for e in log)


def test_a_failed_export_says_so_at_its_status_url(app, record, queued, monkeypatch, caplog):
    admin = record.people["admin"]
    status_url = kick_off(admin, "?_type=Organization")

    def broken(session):
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(export.BUILDERS, "Organization", broken)
    export.run_in_own_unit(app, status_url.rsplit("/", 1)[1])
    response = admin.get(status_url)
    assert (response.status_code, response.json["resourceType"]) == (500, "OperationOutcome")
    assert response.json["issue"][0]["diagnostics"] == "The export failed; ask for a new one."
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == ["fhir export failed"]
