"""FHIR R4 exports validate against the R4 models (fhir.resources R4B) and honour access rules."""

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient

from tests.factories.consult import approved_prescription, item

REQUEST_STATUSES = {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"}


@pytest.fixture
def journey(session, login_as):
    people = {r: login_as(r) for r in ("patient", "doctor", "pharmacist", "admin")}
    rx = approved_prescription(session, *(people[r].user for r in ("patient", "doctor", "pharmacist")),
                               items=[item(), item("paracetamol-500mg-tab", dose=1, dose_unit="tablet",
                                               frequency_per_day=0.5, quantity=4, days_supply=7)])
    return people, rx


def test_each_prescription_item_is_a_valid_medication_request(journey):
    people, rx = journey
    items = people["patient"].get(f"/api/v1/prescriptions/{rx.id}").json["items"]
    for shown in items:
        response = people["patient"].get(f"/fhir/R4/MedicationRequest/{shown['id']}")
        assert response.status_code == 200
        assert response.mimetype == "application/fhir+json"
        resource = MedicationRequest.model_validate(response.json)  # raises on any R4 violation
        body = response.json
        assert body["status"] == "active" and body["status"] in REQUEST_STATUSES
        assert body["groupIdentifier"]["value"] == rx.id
        assert body["medicationCodeableConcept"]["coding"][0]["system"] == "http://www.whocc.no/atc"
        assert body["reasonCode"][0]["coding"][0] == {"system": "http://hl7.org/fhir/sid/icd-10",
                                                       "code": "J02.9", "display": "Acute pharyngitis"}
        assert body["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["system"] == "http://unitsofmeasure.org"
        request = body["dispenseRequest"]
        assert {"validityPeriod", "numberOfRepeatsAllowed", "quantity", "expectedSupplyDuration"} <= set(request)
        assert body["requester"]["reference"] == f"Practitioner/{people['doctor'].user.id}"
        assert body["performer"]["reference"] == f"Practitioner/{people['pharmacist'].user.id}"
        assert resource.id == shown["id"]


def test_a_twice_a_day_or_every_other_day_timing_is_expressed_in_fhir(journey):
    people, rx = journey
    items = people["patient"].get(f"/api/v1/prescriptions/{rx.id}").json["items"]
    timing = people["patient"].get(f"/fhir/R4/MedicationRequest/{items[1]['id']}").json[
        "dosageInstruction"][0]["timing"]["repeat"]
    assert timing == {"frequency": 1, "period": 2, "periodUnit": "d"}


def test_the_patient_resource_validates(journey):
    people, rx = journey
    response = people["patient"].get(f"/fhir/R4/Patient/{rx.patient_id}")
    Patient.model_validate(response.json)
    assert response.json["gender"] in {"male", "female", "other", "unknown"}


def test_an_unknown_id_is_an_operation_outcome(journey):
    people, _ = journey
    response = people["patient"].get("/fhir/R4/MedicationRequest/rxi-nope")
    assert response.status_code == 404
    assert response.mimetype == "application/fhir+json"
    assert response.json["resourceType"] == "OperationOutcome"
    assert response.json["issue"][0]["code"] == "not-found"


def test_fhir_reads_follow_the_api_access_rules_and_are_audited(journey, login_as):
    people, rx = journey
    item_id = people["patient"].get(f"/api/v1/prescriptions/{rx.id}").json["items"][0]["id"]
    assert people["patient"].get(f"/fhir/R4/MedicationRequest/{item_id}").status_code == 200
    stranger = login_as("patient")
    assert stranger.get(f"/fhir/R4/MedicationRequest/{item_id}").status_code == 404
    assert stranger.get(f"/fhir/R4/Patient/{rx.patient_id}").status_code == 404
    assert login_as("doctor").get(f"/fhir/R4/Patient/{rx.patient_id}").status_code == 404
    actions = {e["action"] for e in people["admin"].get(
        f"/api/v1/audit?actor={people['patient'].user.id}&limit=100").json["items"]}
    assert "fhir.medication_request_read" in actions
