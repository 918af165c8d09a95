"""Searches answer searchset Bundles with `next` links, honour _count and the date prefixes,
and refuse what they cannot read."""

import time_machine
from datetime import UTC, datetime, timedelta

from tests.factories.consult import approved_prescription
from tests.fhir_api.conftest import validate


def bundle(caller, path):
    response = caller.get(path)
    assert response.status_code == 200, response.json
    assert response.mimetype == "application/fhir+json"
    validate(response.json)
    assert response.json["type"] == "searchset"
    return response.json


def ids(found):
    return [e["resource"]["id"] for e in found.get("entry", [])]


def relative(url):
    return url[url.index("/fhir/R4/"):]


def test_a_patient_s_prescriptions_by_patient(record):
    found = bundle(record.people["patient"], f"/fhir/R4/MedicationRequest?patient=Patient/{record.patient_id}")
    assert sorted(ids(found)) == sorted(record.item_ids)
    assert all(e["fullUrl"].endswith(f"/fhir/R4/MedicationRequest/{e['resource']['id']}") for e in found["entry"])
    assert all(e["search"]["mode"] == "match" for e in found["entry"])


def test_status_is_searched_in_fhir_codes(record):
    patient = record.people["patient"]
    # Dispensing the order's one item left the prescription's other item: still approved, so active.
    assert sorted(ids(bundle(patient, "/fhir/R4/MedicationRequest?status=active,completed"))) == sorted(record.item_ids)
    assert ids(bundle(patient, "/fhir/R4/MedicationRequest?status=cancelled")) == []


def test_authoredon_takes_ge_le_gt_lt_prefixes(record):
    patient = record.people["patient"]
    signed = record.prescription.signed_at
    day, next_day = signed.date().isoformat(), (signed + timedelta(days=1)).date().isoformat()
    for query, expected in ((f"authoredon={day}", 2), (f"authoredon=ge{day}", 2), (f"authoredon=lt{day}", 0),
                            (f"authoredon=gt{day}", 0), (f"authoredon=le{day}", 2), (f"authoredon=ge{next_day}", 0),
                            (f"authoredon=ge{day}&authoredon=lt{next_day}", 2),
                            (f"authoredon=le{signed.year - 1}", 0), (f"authoredon={signed.year}-{signed.month:02d}", 2)):
        assert len(ids(bundle(patient, f"/fhir/R4/MedicationRequest?{query}"))) == expected, query


def test_a_time_needs_its_zone_and_a_date_must_parse(record):
    patient = record.people["patient"]
    for bad in ("authoredon=2026-13-01", "authoredon=ne2026", "authoredon=2026-12-01T10:00", "_count=0",
                "_count=101", "_count=ten", "patient=Practitioner/x", "status="):
        response = patient.get(f"/fhir/R4/MedicationRequest?{bad}")
        assert response.status_code == 400, bad
        assert response.json["resourceType"] == "OperationOutcome"
    assert patient.get("/fhir/R4/MedicationRequest?authoredon=ge2026-12-01T10:00:00%2B08:00").status_code == 200


def test_pages_follow_next_links_without_repeats_or_gaps(session, record):
    people = record.people
    for _ in range(2):
        approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                              override_reason="A further course, reviewed.")
    seen, path, pages = [], f"/fhir/R4/MedicationRequest?patient={record.patient_id}&_count=2", 0
    while path:
        found = bundle(people["patient"], path)
        assert len(found.get("entry", [])) <= 2
        seen += ids(found)
        pages += 1
        nexts = [link["url"] for link in found["link"] if link["relation"] == "next"]
        path = relative(nexts[0]) if nexts else None
        if path:
            assert "_count=2" in path and f"patient={record.patient_id}" in path
    assert pages == 2 and len(seen) == 4 == len(set(seen))


def test_dispenses_by_patient_status_and_when_handed_over(record):
    patient = record.people["patient"]
    found = bundle(patient, f"/fhir/R4/MedicationDispense?patient={record.patient_id}&status=completed")
    assert ids(found) == [record.line_id]
    today = datetime.now(UTC).date()
    assert ids(bundle(patient, f"/fhir/R4/MedicationDispense?whenhandedover=ge{today}")) == [record.line_id]
    assert ids(bundle(patient, f"/fhir/R4/MedicationDispense?whenhandedover=lt{today}")) == []
    assert ids(bundle(patient, "/fhir/R4/MedicationDispense?status=preparation")) == []


def test_patient_and_practitioner_by_identifier(record):
    admin, doctor = record.people["admin"], record.people["doctor"].user
    found = bundle(admin, f"/fhir/R4/Patient?identifier=urn:rxloop:patient|{record.patient_id}")
    assert ids(found) == [record.patient_id]
    found = bundle(record.people["patient"], f"/fhir/R4/Practitioner?identifier=urn:rxloop:licence|{doctor.license_number}")
    assert ids(found) == [doctor.id]
    assert admin.get("/fhir/R4/Patient?identifier=urn:other|x").status_code == 400


def test_audit_events_by_entity_agent_and_date(record):
    admin, pharmacist = record.people["admin"], record.people["pharmacist"].user
    found = bundle(admin, f"/fhir/R4/AuditEvent?entity={record.prescription.id}&agent={pharmacist.id}")
    assert {e["resource"]["subtype"][0]["code"] for e in found["entry"]} >= {"prescription.claimed",
                                                                            "prescription.approved"}
    assert all(e["resource"]["agent"][0]["who"]["identifier"]["value"] == pharmacist.id for e in found["entry"])
    assert ids(bundle(admin, f"/fhir/R4/AuditEvent?entity={record.prescription.id}&date=lt2000")) == []


def test_searches_find_records_made_at_a_moved_clock(session, record):
    people = record.people
    with time_machine.travel(datetime(2027, 3, 1, 9, tzinfo=UTC)):
        later = approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                              override_reason="A further course, reviewed.")
    found = bundle(people["patient"], "/fhir/R4/MedicationRequest?authoredon=2027-03")
    assert {e["resource"]["groupIdentifier"]["value"] for e in found["entry"]} == {later.id}
