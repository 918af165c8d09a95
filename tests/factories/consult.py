"""Consultations and prescriptions in one line, through the same service functions the API uses."""

from datetime import timedelta

from consult import consultations, drugs, prescriptions, review
from consult.models import Prescription
from core.db import utcnow

AMOXICILLIN = "amoxicillin-500mg-cap"
_SYNCED: set[str] = set()  # databases (by URL) whose drugs table already holds the formulary


def item(drug_id=AMOXICILLIN, **overrides):
    values = {"drug_id": drug_id, "dose": 500, "dose_unit": "mg", "frequency_per_day": 3,
              "route": "oral", "days_supply": 7, "quantity": 21, "refills": 0,
              "instructions": "Take with water."}
    values.update(overrides)
    return values


def ensure_formulary(session):
    """The formulary's drugs are in this session's database: synced and committed on the first
    call for a database (the `app` fixture makes it right after the migrations), nothing after."""
    database = str(session.get_bind().engine.url)
    if database in _SYNCED:
        return
    drugs.sync(session=session)
    session.commit()
    _SYNCED.add(database)


PRIOR_DIAGNOSIS_EVIDENCE = {"institution": "Peking Union Medical College Hospital", "date": "2026-03-02",
                            "document_reference": "OP-2026-0302-0117"}


def consultation_in_progress(session, patient, doctor, *, confirm_prior_diagnosis=True, **fields):
    """A follow-up a doctor has accepted; its prior diagnosis's record confirmed unless told not to."""
    ensure_formulary(session)
    values = {"chief_complaint": "Follow-up of known condition", "symptoms": ["cough"],
              "is_follow_up": True, "prior_diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"},
              "prior_diagnosis_evidence": PRIOR_DIAGNOSIS_EVIDENCE}
    values.update(fields)
    consultation = consultations.create(session=session, user=patient, **values)
    consultations.accept(session=session, doctor=doctor, consultation_id=consultation.id)
    if confirm_prior_diagnosis and consultation.prior_diagnosis_evidence:
        consultations.confirm_prior_diagnosis(session=session, doctor=doctor, consultation_id=consultation.id)
    session.commit()
    return consultation


def signed_prescription(session, patient, doctor, items=None, **sign):
    consultation = consultation_in_progress(session, patient, doctor)
    prescription = prescriptions.create_draft(
        session=session, doctor=doctor, consultation_id=consultation.id, items=items or [item()],
        diagnosis={"code": "J02.9", "display": "Acute pharyngitis"})
    prescriptions.sign(session=session, doctor=doctor, prescription_id=prescription.id, **sign)
    session.commit()
    return prescription


def approved_prescription(session, patient, doctor, pharmacist, items=None, **sign):
    prescription = signed_prescription(session, patient, doctor, items, **sign)
    review.claim(session=session, pharmacist=pharmacist, prescription_id=prescription.id)
    review.approve(session=session, pharmacist=pharmacist, prescription_id=prescription.id, note="Checked.")
    session.commit()
    return prescription


def expire_now(session, prescription: Prescription):
    prescription.valid_until = utcnow() - timedelta(seconds=1)
    session.commit()
