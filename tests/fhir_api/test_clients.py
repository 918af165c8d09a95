"""Two independent FHIR client libraries from PyPI — SMART's `fhirclient` and `fhirpy` — drive a
live rxloop server (werkzeug in a thread, on its own fresh database): they connect through the
CapabilityStatement, search a patient's prescriptions, follow every reference, page through a
Bundle and run a Bulk Data $export whose NDJSON they read back."""

import json
import threading
import time
from datetime import timedelta

import pytest
from fhirclient import client as smart_client
from fhirclient.models.medicationdispense import MedicationDispense as SmartDispense
from fhirclient.models.medicationrequest import MedicationRequest as SmartRequest
from fhirclient.models.practitioner import Practitioner as SmartPractitioner
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ForbiddenError, ResourceNotFound
from flask_migrate import upgrade
from werkzeug.serving import make_server

from core.app import create_app
from core.db import utcnow
from tests.conftest import TEST_CONFIG
from tests.factories.consult import approved_prescription, ensure_formulary
from tests.factories.fhir import make_record
from tests.factories.identity import make_user
from tests.fhir_api.conftest import references, validate
from tests.support.api import ApiClient

EXTRA_PRESCRIPTIONS = 3  # one item each; with the record's two items: 5 MedicationRequests, 3 pages of 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server on loopback, on a database of its own, holding one patient's record."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fhir-live') / 'rxloop.sqlite3'}"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "FHIR_EXPORT_IN_PROCESS": True})
    with app.app_context():
        upgrade()
        session = app.extensions["rxloop.db"].sessionmaker()
        ensure_formulary(session)
        tokens = {}

        def login(role):
            with app.test_request_context():
                user, token = make_user(session, role=role)
            tokens[role] = token
            return ApiClient(app.test_client()).as_user(user, token)

        record = make_record(session, login)
        people = record.people
        for _ in range(EXTRA_PRESCRIPTIONS):
            approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                                  override_reason="A further course, reviewed.")
        with app.test_request_context():
            _, tokens["stranger"] = make_user(session, role="patient")
        session.close()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{httpd.server_port}/fhir/R4", "record": record, "tokens": tokens}
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        app.extensions["rxloop.db"].engine.dispose()


def smart(server, role):
    """fhirclient connected through the CapabilityStatement, carrying a bearer token."""
    fhir = smart_client.FHIRClient(settings={"app_id": "rxloop-tests", "api_base": server["base"] + "/"})
    fhir.server.session.headers["Authorization"] = f"Bearer {server['tokens'][role]}"
    assert fhir.prepare()  # GET metadata, parsed by fhirclient's strict R4 models
    return fhir


def fhirpy(server, role):
    return SyncFHIRClient(server["base"], authorization=f"Bearer {server['tokens'][role]}")


# ---- fhirclient (SMART on FHIR's Python client) -----------------------------------------

def test_fhirclient_connects_through_the_capability_statement(server):
    statement = smart(server, "patient").server.capabilityStatement
    assert statement.fhirVersion == "4.0.1"
    searched = {r.type: [p.name for p in r.searchParam or []] for r in statement.rest[0].resource}
    assert "patient" in searched["MedicationRequest"] and "identifier" in searched["Practitioner"]


def test_fhirclient_pages_through_a_patient_s_prescriptions_and_follows_requester(server):
    fhir, record = smart(server, "patient"), server["record"]
    search = SmartRequest.where(struct={"patient": record.patient_id, "_count": "2"})
    bundles = list(search.perform_iter(fhir.server))
    assert [len(b.entry) for b in bundles] == [2, 2, 1]
    requests = [entry.resource for bundle in bundles for entry in bundle.entry]
    assert len({r.id for r in requests}) == 2 + EXTRA_PRESCRIPTIONS
    assert all(r.subject.reference == f"Patient/{record.patient_id}" for r in requests)
    doctor = SmartPractitioner.read(requests[0].requester.reference.split("/")[1], fhir.server)
    assert doctor.identifier[0].value == record.people["doctor"].user.license_number
    approved_by = SmartPractitioner.read(requests[0].performer.reference.split("/")[1], fhir.server)
    assert approved_by.qualification[0].code.coding[0].code == "RPH"


def test_fhirclient_finds_a_patient_by_identifier(server):
    from fhirclient.models.patient import Patient as SmartPatient

    fhir, record = smart(server, "patient"), server["record"]
    found = list(SmartPatient.where(struct={"identifier": f"urn:rxloop:patient|{record.patient_id}"})
                 .perform_resources_iter(fhir.server))
    assert [p.id for p in found] == [record.patient_id] and found[0].name[0].text


def test_fhirclient_follows_every_reference_of_a_dispense(server):
    fhir, record = smart(server, "patient"), server["record"]
    dispense = SmartDispense.read(record.line_id, fhir.server)
    followed = []
    for reference in references(dispense.as_json()):
        kind, rid = reference.split("/")
        followed.append(fhir.server.request_json(f"{kind}/{rid}")["resourceType"])
    assert sorted(followed) == ["MedicationRequest", "Organization", "Patient", "Practitioner"]


def test_fhirclient_runs_a_bulk_export_and_reads_the_ndjson_back(server):
    fhir = smart(server, "admin")
    kick_off = fhir.server._get("$export?_type=Patient,MedicationRequest", headers={"Prefer": "respond-async"})
    assert kick_off.status_code == 202
    status_url = kick_off.headers["Content-Location"]
    deadline = utcnow() + timedelta(seconds=30)
    while (status := fhir.server._get(status_url)).status_code == 202:  # the export runs after the response
        assert utcnow() < deadline, "the export did not finish"
        time.sleep(0.05)  # polling a real server; no clock to move across processes
    manifest = status.json()
    assert {o["type"] for o in manifest["output"]} == {"Patient", "MedicationRequest"}
    for output in manifest["output"]:
        text = fhir.server.request_data(output["url"], headers={"Accept": "application/fhir+ndjson"}).decode()
        resources = [json.loads(line) for line in text.splitlines()]
        assert len(resources) == output["count"] and all(validate(r) for r in resources)
        assert {r["resourceType"] for r in resources} == {output["type"]}


# ---- fhirpy -----------------------------------------------------------------------------

def test_fhirpy_connects_searches_and_follows_requester(server):
    fhir, record = fhirpy(server, "patient"), server["record"]
    statement = fhir.execute("metadata", method="get")
    assert statement["resourceType"] == "CapabilityStatement"
    requests = fhir.resources("MedicationRequest").search(patient=record.patient_id).limit(2).fetch_all()
    assert len({r.id for r in requests}) == 2 + EXTRA_PRESCRIPTIONS
    doctor = requests[0]["requester"].to_resource()
    assert doctor["resourceType"] == "Practitioner" and doctor.id == record.people["doctor"].user.id
    found = fhir.resources("Practitioner").search(identifier=f"urn:rxloop:licence|{doctor['identifier'][0]['value']}")
    assert [p.id for p in found.fetch_all()] == [doctor.id]


def test_fhirpy_follows_every_reference_in_the_patient_s_everything(server):
    fhir, record = fhirpy(server, "patient"), server["record"]
    everything = fhir.resource("Patient", id=record.patient_id).execute("$everything", method="get")
    validate(everything)
    for reference in set(references(everything)):
        kind, rid = reference.split("/")
        assert fhir.reference(kind, rid).to_resource().id == rid


def test_fhirpy_searches_the_audit_trail_as_an_admin_only(server):
    record = server["record"]
    found = fhirpy(server, "admin").resources("AuditEvent").search(entity=record.prescription.id,
                                                                    date__ge="2000").limit(50).fetch_all()
    assert "prescription.signed" in {e["subtype"][0]["code"] for e in found}
    with pytest.raises(ForbiddenError):
        fhirpy(server, "patient").resources("AuditEvent").fetch()


def test_fhirpy_searches_dispenses_by_date_and_sees_nothing_of_another_patient(server):
    fhir, record = fhirpy(server, "patient"), server["record"]
    today = utcnow().date().isoformat()
    assert [d.id for d in fhir.resources("MedicationDispense").search(whenhandedover__ge=today).fetch_all()] == [
        record.line_id]
    stranger = fhirpy(server, "stranger")
    with pytest.raises(ResourceNotFound):
        stranger.reference("MedicationDispense", record.line_id).to_resource()
