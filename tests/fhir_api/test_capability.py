"""GET /fhir/R4/metadata tells the truth: every resource, interaction and search parameter it
lists is served, and nothing is served that it does not list."""

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from fhir_api.resources import RESOURCES

METADATA = "/fhir/R4/metadata"


def test_the_capability_statement_is_public_and_valid(client):
    response = client.get(METADATA)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    statement = CapabilityStatement.model_validate(response.json)
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance" and statement.format == ["json"]
    assert "Authorization: Bearer" in response.json["rest"][0]["security"]["description"]


def test_it_lists_exactly_the_declared_resources_interactions_and_parameters(client):
    rest = client.get(METADATA).json["rest"][0]
    listed = {r["type"]: r for r in rest["resource"]}
    assert set(listed) == {"Patient", "Practitioner", "Organization", "Medication", "Encounter", "MedicationRequest",
                           "MedicationDispense", "Provenance", "AuditEvent"}
    assert {t: sorted(p["name"] for p in r.get("searchParam", [])) for t, r in listed.items()} == {
        "Patient": ["_id", "identifier"], "Practitioner": ["_id", "identifier"], "Organization": [],
        "Medication": ["_id", "code"], "Encounter": ["date", "patient", "status"], "MedicationRequest": ["authoredon", "patient", "status"],
        "MedicationDispense": ["patient", "status", "whenhandedover"], "Provenance": [],
        "AuditEvent": ["agent", "date", "entity"]}
    assert [i["code"] for i in listed["Organization"]["interaction"]] == ["read"]
    assert [i["code"] for i in listed["MedicationRequest"]["interaction"]] == ["read", "search-type"]
    assert [o["name"] for o in listed["Patient"]["operation"]] == ["everything"]
    assert [o["name"] for o in rest["operation"]] == ["export"]


def test_every_fhir_route_is_in_the_statement_and_every_listed_interaction_is_routed(app):
    rest_routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/fhir/R4/")}
    expected = {"/fhir/R4/metadata", "/fhir/R4/Patient/<patient_id>/$everything", "/fhir/R4/$export",
                "/fhir/R4/$export-status/<job_id>", "/fhir/R4/$export-file/<file_id>"}
    for resource in RESOURCES.values():
        expected.add(f"/fhir/R4/{resource.type}/<{resource.id_name}>")
        if resource.search:
            expected.add(f"/fhir/R4/{resource.type}")
    assert rest_routes == expected


def test_every_listed_search_parameter_is_accepted(record):
    admin = record.people["admin"]
    values = {"token": "x", "reference": "x", "date": "ge2026-01-01"}
    for resource in RESOURCES.values():
        for param in resource.params:
            response = admin.get(f"/fhir/R4/{resource.type}?{param.name}={values[param.type]}")
            assert response.status_code == 200, f"{resource.type}?{param.name}"
            assert response.json["type"] == "searchset"


def test_an_unlisted_search_parameter_is_refused_not_ignored(record):
    response = record.people["patient"].get("/fhir/R4/MedicationRequest?subject=Patient/x")
    assert response.status_code == 400
    assert response.json["resourceType"] == "OperationOutcome"
    assert response.json["issue"][0]["code"] == "invalid"
