"""The whole loop from the outside: only HTTP calls, a real Stripe-compatible server, and
the standard resources that leave the system at the end."""

import pytest
from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.patient import Patient

from tests.factories.consult import ensure_formulary
from tests.plugins.localstripe import confirm_card
from tests.support.webhooks import deliver, intent_object

pytestmark = pytest.mark.usefixtures("stripe_on")

ADDRESS = {"name": "Li Lei", "line1": "8 Huaihai Rd", "city": "Shanghai", "postal_code": "200000", "country": "CN"}


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.json
    return response.json


def test_a_patient_gets_a_prescription_medicine_from_consultation_to_doorstep(
        session, client, login_as, stripe_gateway, localstripe_url):
    ensure_formulary(session)
    admin, doctor, pharmacist = login_as("admin"), login_as("doctor"), login_as("pharmacist")

    # The pharmacy lists amoxicillin and receives a lot.
    product = ok(admin.post("/api/v1/products", json={
        "sku": "AMX-500-21", "name": "Amoxicillin 500 mg capsules x21", "drug_id": "amoxicillin-500mg-cap",
        "pack_size": 21, "price": {"amount": 3500, "currency": "cny"}}))
    ok(pharmacist.post("/api/v1/inventory/lots", json={"product_id": product["id"], "lot_number": "AMX2611",
                                                        "expiry_date": "2099-06-30", "quantity": 5}))

    # A patient signs up and finds it.
    ok(client.post("/api/v1/auth/register", json={"email": "li.lei@example.test", "password": "a long passphrase",
                                                   "full_name": "Li Lei", "birth_date": "1988-08-08", "sex": "male"}))
    token = ok(client.post("/api/v1/auth/token", json={"email": "li.lei@example.test",
                                                       "password": "a long passphrase"}))["access_token"]
    patient = client.as_user(None, token)
    found = ok(patient.get("/api/v1/products?q=amoxicillin"))["items"]
    assert [p["id"] for p in found] == [product["id"]] and found[0]["needs_prescription"]

    # Checkout refuses and points to a doctor.
    order_body = {"items": [{"product_id": product["id"], "quantity": 1}], "shipping_address": ADDRESS}
    refusal = ok(patient.post("/api/v1/orders", json=order_body, headers={"Idempotency-Key": "loop-first-try"}), 409)
    assert refusal["type"] == "/problems/prescription-required"

    # The patient adds exactly the fields the refusal names (cn: the offline diagnosis and its record).
    knows = {"prior_diagnosis": {"code": "J03.9", "display": "Acute tonsillitis"},
             "prior_diagnosis_evidence": {"institution": "Beijing Chaoyang Hospital", "date": "2026-10-14",
                                          "document_reference": "OP-2026-1014-0032"}}
    assert refusal["consultation_request_missing"] == list(knows)
    consultation = ok(patient.post(refusal["consultation_url"], json={
        **refusal["consultation_request"], "symptoms": ["sore throat"],
        **{name: knows[name] for name in refusal["consultation_request_missing"]}}))
    assert consultation["status"] == "waiting"
    ok(doctor.post(f"/api/v1/consultations/{consultation['id']}/accept"))
    # Under cn the doctor confirms the record of the offline diagnosis before prescribing for a follow-up.
    confirmed = ok(doctor.post(f"/api/v1/consultations/{consultation['id']}/prior-diagnosis/confirm"))
    assert confirmed["prior_diagnosis_evidence"]["confirmed_by"] == doctor.user.id
    requested = ok(doctor.get(f"/api/v1/consultations/{consultation['id']}"))["requested_products"][0]
    assert (requested["drug_id"], requested["pack_size"]) == ("amoxicillin-500mg-cap", 21)
    draft = ok(doctor.post(f"/api/v1/consultations/{consultation['id']}/prescriptions", json={
        "diagnosis": {"code": "J03.9", "display": "Acute tonsillitis"},
        # drafted from the requested product as the consultation shows it: no drug id or pack size looked up
        "items": [{"product_id": requested["product_id"], "packs": requested["packs"], "dose": 500,
                   "dose_unit": "mg", "frequency_per_day": 3, "route": "oral", "days_supply": 7, "refills": 0}]}))
    assert draft["safety"]["blocking"] == []
    assert ok(doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={}))["status"] == "pending_review"
    ok(pharmacist.post(f"/api/v1/prescriptions/{draft['id']}/claim"))
    assert ok(pharmacist.post(f"/api/v1/prescriptions/{draft['id']}/approve", json={"note": "OK"}))["status"] == "approved"

    # Checkout succeeds; the card is authorized; the webhook marks the order paid.
    order = ok(patient.post("/api/v1/orders", json=order_body, headers={"Idempotency-Key": "loop-second-try"}), 201)
    confirm_card(localstripe_url, order["payment"]["payment_intent_id"])
    ok(deliver(client, "payment_intent.amount_capturable_updated",
               intent_object(stripe_gateway, order["payment"]["payment_intent_id"])))
    assert ok(patient.get(f"/api/v1/orders/{order['id']}"))["status"] == "paid"

    # The pharmacist dispenses (capturing the payment) and ships; the order is delivered.
    dispensed = ok(pharmacist.post(f"/api/v1/orders/{order['id']}/dispense"))
    assert dispensed["payment"]["status"] == "captured"
    assert dispensed["items"][0]["lots"][0]["lot_number"] == "AMX2611"
    ok(pharmacist.post(f"/api/v1/orders/{order['id']}/ship", json={"carrier": "SF", "tracking_number": "SF42"}))
    assert ok(admin.post(f"/api/v1/orders/{order['id']}/deliver"))["status"] == "delivered"

    # The prescription shows what was used.
    rx = ok(patient.get(f"/api/v1/prescriptions/{draft['id']}"))
    assert rx["status"] == "dispensed" and rx["items"][0]["quantity_remaining"] == 0

    # What leaves the system is standard FHIR R4.
    MedicationRequest.model_validate(ok(patient.get(f"/fhir/R4/MedicationRequest/{rx['items'][0]['id']}")))
    dispense = ok(patient.get(f"/fhir/R4/MedicationDispense/{dispensed['items'][0]['id']}"))
    MedicationDispense.model_validate(dispense)
    assert dispense["status"] == "completed" and "AMX2611" in dispense["note"][0]["text"]
    Patient.model_validate(ok(patient.get(f"/fhir/R4/Patient/{order['patient_id']}")))

    # And every step is in an audit chain that verifies.
    assert ok(admin.get("/api/v1/audit/verify"))["ok"] is True
    actions = {e["action"] for e in ok(admin.get("/api/v1/audit?limit=100"))["items"]}
    assert {"patient.registered", "consultation.waiting", "consultation.accepted", "prescription.drafted",
            "prescription.signed", "prescription.claimed", "prescription.approved", "order.created",
            "payment.intent_created", "order.paid", "payment.captured", "order.dispensed", "order.shipped",
            "order.delivered", "fhir.medication_dispense_read"} <= actions
