"""Every staff read of a patient's data is audited, and so is anyone's refused read of it; the
patient lists them at GET /api/v1/patients/me/access-log (who, role, what, when)."""

import pytest

from tests.factories.consult import consultation_in_progress, signed_prescription
from tests.factories.shop import ADDRESS, make_product


def log_of(patient):
    response = patient.get("/api/v1/patients/me/access-log")
    assert response.status_code == 200
    return [(e["who"], e["role"], e["action"], e["subject"], e["refused"]) for e in response.json["items"]]


@pytest.fixture
def order(session, login_as):
    product = make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)
    patient = login_as("patient")
    placed = patient.post("/api/v1/orders", headers={"Idempotency-Key": "reads-0001"}, json={
        "items": [{"product_id": product.id, "quantity": 1}], "shipping_address": ADDRESS}).json
    patient_id = patient.get("/api/v1/patients/me").json["id"]
    return patient, placed["id"], patient_id


def test_a_pharmacists_reads_of_an_order_and_of_the_order_list_are_in_the_patients_access_log(login_as, order):
    patient, order_id, patient_id = order
    pharmacist = login_as("pharmacist")
    assert pharmacist.get(f"/api/v1/orders/{order_id}").status_code == 200
    assert pharmacist.get("/api/v1/orders").status_code == 200
    patient.get(f"/api/v1/orders/{order_id}")  # a patient's own reads are no disclosure
    assert log_of(patient) == [
        (pharmacist.user.id, "pharmacist", "order.list_read", f"patient:{patient_id}", False),
        (pharmacist.user.id, "pharmacist", "order.read", f"order:{order_id}", False),
    ]


def test_refused_reads_of_another_patients_order_are_in_its_patients_access_log(login_as, order):
    patient, order_id, _patient_id = order
    other_patient = login_as("patient")
    assert other_patient.get(f"/api/v1/orders/{order_id}").status_code == 404
    assert log_of(patient) == [(other_patient.user.id, "patient", "order.read", f"order:{order_id}", True)]
    # A role that may never read orders (a doctor) is refused at the door, before any order is looked up.
    assert login_as("doctor").get(f"/api/v1/orders/{order_id}").status_code == 403


def test_reads_of_a_prescription_and_of_prescription_lists_are_audited(session, login_as):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    prescription = signed_prescription(session, patient.user, doctor.user)
    patient_id = prescription.patient_id
    before = log_of(patient)  # the doctor's reads while prescribing
    assert pharmacist.get("/api/v1/prescriptions").status_code == 200
    assert pharmacist.get(f"/api/v1/prescriptions/{prescription.id}").status_code == 200
    assert login_as("doctor").get(f"/api/v1/prescriptions/{prescription.id}").status_code == 404
    stranger = log_of(patient)[0][0]
    assert log_of(patient) == [
        (stranger, "doctor", "prescription.read", f"prescription:{prescription.id}", True),
        (pharmacist.user.id, "pharmacist", "prescription.read", f"prescription:{prescription.id}", False),
        (pharmacist.user.id, "pharmacist", "prescription.list_read", f"patient:{patient_id}", False),
        *before,
    ]


def test_reads_of_a_consultation_its_messages_and_consultation_lists_are_audited(session, login_as):
    patient, doctor, admin, other_doctor = login_as("patient"), login_as("doctor"), login_as("admin"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    cid, patient_id = consultation.id, consultation.patient_id
    accepting = log_of(patient)  # accepting it read it
    assert doctor.get(f"/api/v1/consultations/{cid}").status_code == 200
    assert doctor.get(f"/api/v1/consultations/{cid}/messages").status_code == 200
    assert admin.get("/api/v1/consultations").status_code == 200
    assert other_doctor.get(f"/api/v1/consultations/{cid}/messages").status_code == 404
    assert log_of(patient) == [
        (other_doctor.user.id, "doctor", "consultation.messages_read", f"consultation:{cid}", True),
        (admin.user.id, "admin", "consultation.list_read", f"patient:{patient_id}", False),
        (doctor.user.id, "doctor", "consultation.messages_read", f"consultation:{cid}", False),
        (doctor.user.id, "doctor", "consultation.read", f"consultation:{cid}", False),
        *accepting,
    ]


def test_reads_of_the_patient_record_and_its_fhir_resource_are_audited(session, login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    patient_id = consultation.patient_id
    before = log_of(patient)
    assert doctor.get(f"/api/v1/patients/{patient_id}").status_code == 200
    assert doctor.get(f"/fhir/R4/Patient/{patient_id}").status_code == 200
    assert [entry[2] for entry in log_of(patient)] == ["fhir.patient_read", "patient.record_read",
                                                       "patient.record_read", *[entry[2] for entry in before]]


def test_the_access_log_is_the_patients_own_and_pages(login_as, order):
    patient, order_id, _patient_id = order
    pharmacist = login_as("pharmacist")
    for _ in range(3):
        pharmacist.get(f"/api/v1/orders/{order_id}")
    first = patient.get("/api/v1/patients/me/access-log?limit=2").json
    second = patient.get(f"/api/v1/patients/me/access-log?limit=2&cursor={first['next_cursor']}").json
    assert (len(first["items"]), len(second["items"]), second["next_cursor"]) == (2, 1, None)
    assert set(first["items"][0]) == {"at", "who", "role", "action", "subject", "refused"}
    assert pharmacist.get("/api/v1/patients/me/access-log").status_code == 403
