"""Every resource validates against the R4B models, carries what the issue asks for, and every
reference in a patient's resources can be followed without a 404."""

from tests.fhir_api.conftest import references, validate


def test_the_patient_has_a_structured_name_from_the_profile(record):
    patient = record.people["patient"]
    assert patient.put("/api/v1/patients/me", json={"family_name": "Zhang", "given_name": "San Feng"}).status_code == 200
    assert patient.get("/api/v1/patients/me").json["family_name"] == "Zhang"
    body = patient.get(f"/fhir/R4/Patient/{record.patient_id}").json
    validate(body)
    assert body["name"] == [{"use": "official", "text": patient.user.full_name, "family": "Zhang",
                             "given": ["San", "Feng"]}]
    assert body["identifier"] == [{"system": "urn:rxloop:patient", "value": record.patient_id}]


def test_a_name_without_parts_is_text_only(record):
    body = record.people["patient"].get(f"/fhir/R4/Patient/{record.patient_id}").json
    assert body["name"] == [{"use": "official", "text": record.people["patient"].user.full_name}]


def test_a_doctor_is_a_practitioner_with_licence_and_qualification(record):
    doctor = record.people["doctor"].user
    body = record.people["patient"].get(f"/fhir/R4/Practitioner/{doctor.id}").json
    validate(body)
    assert body["identifier"] == [{"system": "urn:rxloop:licence", "value": doctor.license_number}]
    assert body["qualification"][0]["code"]["coding"][0]["code"] == "MD"


def test_a_pharmacist_s_role_is_their_qualification(record):
    pharmacist = record.people["pharmacist"].user
    body = record.people["patient"].get(f"/fhir/R4/Practitioner/{pharmacist.id}").json
    validate(body)
    assert body["qualification"][0]["code"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v2-0360", "code": "RPH", "display": "Registered Pharmacist"}


def test_a_patient_or_an_admin_is_no_practitioner(record):
    for user in (record.people["patient"].user, record.people["admin"].user):
        response = record.people["admin"].get(f"/fhir/R4/Practitioner/{user.id}")
        assert response.status_code == 404


def test_the_pharmacy_is_an_organization_from_configuration(app, record):
    body = record.people["patient"].get("/fhir/R4/Organization/pharmacy").json
    validate(body)
    assert body["name"] == app.config["PHARMACY_NAME"]
    assert body["identifier"][0]["value"] == app.config["PHARMACY_LICENCE"]
    assert record.people["patient"].get("/fhir/R4/Organization/other").status_code == 404


def test_a_medication_has_its_atc_code_and_each_ingredient_s_strength(record):
    caller = record.people["patient"]
    body = caller.get("/fhir/R4/Medication/amoxicillin-500mg-cap").json
    validate(body)
    assert body["code"]["coding"][0] == {"system": "http://www.whocc.no/atc", "code": "J01CA04",
                                         "display": "amoxicillin"}
    assert [(i["itemCodeableConcept"]["text"], i["strength"]["numerator"]["value"]) for i in body["ingredient"]] == [
        ("amoxicillin", 500)]
    combination = caller.get("/fhir/R4/Medication/amoxicillin-clavulanate-500-125mg-tab").json
    validate(combination)
    assert [i["strength"]["numerator"]["value"] for i in combination["ingredient"]] == [500, 125]


def test_a_consultation_is_an_encounter(record):
    consultation_id = record.prescription.consultation_id
    body = record.people["patient"].get(f"/fhir/R4/Encounter/{consultation_id}").json
    validate(body)
    assert body["status"] == "in-progress" and body["class"]["code"] == "VR"
    assert body["participant"][0]["individual"]["reference"] == f"Practitioner/{record.people['doctor'].user.id}"


def test_provenance_names_who_signed_and_who_approved(record):
    body = record.people["patient"].get(f"/fhir/R4/Provenance/{record.prescription.id}").json
    validate(body)
    assert [(a["type"]["coding"][0]["code"], a["who"]["reference"]) for a in body["agent"]] == [
        ("author", f"Practitioner/{record.people['doctor'].user.id}"),
        ("verifier", f"Practitioner/{record.people['pharmacist'].user.id}")]
    assert sorted(t["reference"] for t in body["target"]) == sorted(f"MedicationRequest/{i}" for i in record.item_ids)


def test_a_dispense_names_its_lot_pharmacist_and_pharmacy(record):
    body = record.people["patient"].get(f"/fhir/R4/MedicationDispense/{record.line_id}").json
    validate(body)
    assert [p["actor"]["reference"] for p in body["performer"]] == [
        f"Practitioner/{record.people['pharmacist'].user.id}", "Organization/pharmacy"]
    assert body["note"][0]["text"].startswith("Lot ")
    assert body["authorizingPrescription"][0]["reference"] == f"MedicationRequest/{record.item_ids[0]}"


def test_every_reference_a_patient_receives_resolves_for_them(record):
    patient = record.people["patient"]
    start = [f"MedicationRequest/{i}" for i in record.item_ids] + [f"MedicationDispense/{record.line_id}",
                                                                  f"Provenance/{record.prescription.id}"]
    seen, todo = set(), list(start)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = patient.get(f"/fhir/R4/{path}")
        assert response.status_code == 200, path
        validate(response.json)
        todo += list(references(response.json))
    assert {p.split("/")[0] for p in seen} == {"MedicationRequest", "MedicationDispense", "Provenance", "Patient",
                                               "Practitioner", "Organization", "Encounter"}


def test_an_audit_event_is_an_entry_of_the_trail(record):
    admin = record.people["admin"]
    seq = admin.get(f"/api/v1/audit?subject={record.prescription.id}&limit=1").json["items"][0]["seq"]
    body = admin.get(f"/fhir/R4/AuditEvent/{seq}").json
    validate(body)
    assert body["id"] == str(seq) and body["outcome"] == "0"
    assert body["source"]["observer"]["reference"] == "Organization/pharmacy"


def test_an_empty_name_part_is_refused_and_null_clears_it(record):
    patient = record.people["patient"]
    refused = patient.put("/api/v1/patients/me", json={"family_name": ""})
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["family_name"])
    assert patient.put("/api/v1/patients/me", json={"family_name": "Zhang"}).status_code == 200
    assert patient.put("/api/v1/patients/me", json={"family_name": None}).json["family_name"] is None
