"""Rows with a recognisable canary in every encrypted column, for raw-row and rotation tests."""

from datetime import date, timedelta

from consult.models import Consultation, ConsultationMessage, Patient, Prescription, PrescriptionReview
from core.db import utcnow
from core.identity.models import User
from assistant.models import Suggestion
from fhir_api.models import ExportFile, ExportJob
from shop.models import Order

CANARY = "CANARY-7f3a"
CANARY_DATE = date(1971, 3, 14)  # birth and due dates; its ISO text must not appear either


def canary_rows(session, tag: str = "") -> list:
    """A user, patient, consultation, message, prescription, review and order whose every
    encrypted column holds the canary; flushed, not committed."""
    mark = f"{CANARY}{tag}"
    user = User(email=f"{mark.lower()}@example.test", password_hash="x", role="patient",
                full_name=f"{mark} Name", totp_secret=f"{mark}TOTPSECRET")
    doctor = User(email=f"doctor-{mark.lower()}@example.test", password_hash="x", role="doctor",
                  full_name=f"Dr {mark}", license_number="DOC-1", specialty="gp")
    session.add_all([user, doctor])
    session.flush()
    patient = Patient(user_id=user.id, family_name=f"{mark} Family", given_name=f"{mark} Given",
                      birth_date=CANARY_DATE, sex="female", phone=f"+86 {mark}",
                      allergies=[mark], conditions=[mark], current_medications=[mark],
                      pregnancy_due_date=CANARY_DATE + timedelta(days=1), ancestry=[mark],
                      genotypes=[{"allele": mark, "result": "positive"}])
    session.add(patient)
    session.flush()
    consultation = Consultation(patient_id=patient.id, doctor_id=doctor.id, status="in_progress", policy="cn",
                                chief_complaint=f"{mark} complaint", symptoms=[mark], is_follow_up=True,
                                prior_diagnosis={"text": mark}, prior_diagnosis_evidence={"institution": mark},
                                guardian={"name": mark}, diagnosis={"text": mark}, notes=f"{mark} notes")
    session.add(consultation)
    session.flush()
    prescription = Prescription(consultation_id=consultation.id, patient_id=patient.id, doctor_id=doctor.id,
                                status="draft", policy="cn", diagnosis={"text": mark},
                                override_reason=f"{mark} override", review_note=f"{mark} review")
    session.add_all([prescription, ConsultationMessage(consultation_id=consultation.id, author_id=user.id,
                                                       body=f"{mark} message")])
    session.flush()
    order = Order(user_id=user.id, patient_id=patient.id, status="pending_payment", idempotency_key=mark,
                  request_hash="h" * 64, currency="cny", shipping_address={"line1": mark, "recipient": mark},
                  expires_at=utcnow() + timedelta(minutes=30))
    session.add_all([order, PrescriptionReview(prescription_id=prescription.id, pharmacist_id=doctor.id,
                                               decision="approve", note=f"{mark} note")])
    session.flush()
    job = ExportJob(requested_by=doctor.id, status="completed", types=["Patient"], request_url="/fhir/R4/$export")
    session.add(job)
    session.flush()
    session.add_all([
        Suggestion(kind="consultation_summary", provider="rules", model="m", model_version="1", prompt_hash="0" * 64,
                   inputs={"patient": mark}, output={"claims": [mark]}, kept={"claims": [mark]},
                   dropped=[{"detail": mark}], subject_type="consultation", subject_id=consultation.id,
                   patient_id=patient.id, requested_by=doctor.id, outcome="edited", outcome_by=doctor.id,
                   outcome_at=utcnow(), outcome_diff=[{"written": mark}], outcome_note=f"{mark} note"),
        ExportFile(job_id=job.id, resource_type="Patient", count=1, content=f'{{"name": "{mark}"}}'),
    ])
    session.flush()
    return [user, doctor, patient, consultation, prescription, order]
