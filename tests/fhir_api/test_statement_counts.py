"""A FHIR search page costs the same SQL statements for one entry as for a hundred: no N+1."""

import pytest

from tests.factories.consult import approved_prescription
from tests.factories.fhir import make_record
from tests.shop.test_statement_counts import counted


@pytest.fixture
def people(session, login_as):
    record = make_record(session, login_as)
    people = record.people
    for n in range(2):
        approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                              override_reason="Second course, reviewed.")
        make_record(session, login_as, key=f"fhir-count-{n:04d}", people=people)
    make_record(session, login_as, key="fhir-count-other", people={**people, "patient": login_as("patient")})
    return people


@pytest.mark.parametrize("role,path", [
    ("patient", "/fhir/R4/MedicationRequest"), ("pharmacist", "/fhir/R4/MedicationRequest"),
    ("patient", "/fhir/R4/MedicationDispense"), ("admin", "/fhir/R4/MedicationDispense"),
    ("admin", "/fhir/R4/Patient"), ("patient", "/fhir/R4/Encounter"), ("patient", "/fhir/R4/Practitioner"),
    ("patient", "/fhir/R4/Medication"), ("admin", "/fhir/R4/AuditEvent"),
])
def test_a_search_page_of_one_and_of_a_hundred_cost_the_same_statements(people, db_connection, role, path):
    caller = people[role]
    with counted(db_connection) as small:
        one = caller.get(f"{path}?_count=1")
    with counted(db_connection) as large:
        many = caller.get(f"{path}?_count=100")
    assert one.status_code == many.status_code == 200
    assert len(many.json["entry"]) > 1, "the search must find several entries to show anything"
    assert len(small) == len(large)
