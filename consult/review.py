"""The pharmacist's review of signed prescriptions: claim one from the queue, then approve or reject it."""

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from consult import patients, prescriptions
from consult.models import Prescription, PrescriptionReview
from consult.prescriptions import LIFECYCLE
from consult.profile import active_medication_profile
from consult.screening import SafetyCheckFailed, patient_facts, recheck
from core import audit
from core.db import closing_time, utcnow
from core.errors import AlreadyClaimed, Forbidden, InvalidTransition, ValidationFailed
from core.identity.models import User
from consult.events import ConsultEvent
from core.i18n import _

CLAIM_TIMEOUT_MINUTES = 30

# Reasons a pharmacist may give (after Truepill's and NCPDP's reject reasons).
REJECT_REASONS = {
    "drug-interaction": "A drug interaction makes this unsafe.",
    "duplicate-therapy": "It duplicates a therapy the patient already has.",
    "dose": "The dose or frequency is not appropriate.",
    "allergy": "The patient is allergic to this drug or its class.",
    "pregnancy": "Not appropriate in pregnancy.",
    "age": "Not appropriate for the patient's age.",
    "quantity": "The quantity or days supply is not appropriate.",
    "expired": "The prescription is no longer valid.",
    "incomplete": "Information is missing or unclear.",
    "not-clinically-appropriate": "Not clinically appropriate for the diagnosis.",
    "other": "Another reason, explained in the note.",
}


def claim(*, session: Session, pharmacist: User, prescription_id: str) -> Prescription:
    """Take a prescription for review; one pharmacist at a time (a claim lapses after 30 min)."""
    prescription = prescriptions.get(session=session, user=pharmacist, prescription_id=prescription_id)
    LIFECYCLE.check(prescription.status, "approved")  # only prescriptions awaiting review
    now = utcnow()
    stale = now - timedelta(minutes=CLAIM_TIMEOUT_MINUTES)
    result = session.execute(
        update(Prescription)
        .where(Prescription.id == prescription.id, Prescription.status == "pending_review",
               or_(Prescription.claimed_by.is_(None), Prescription.claimed_by == pharmacist.id,
                   Prescription.claimed_at < stale))
        .values(claimed_by=pharmacist.id, claimed_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(prescription)
    if result.rowcount != 1:
        if prescription.status != "pending_review":
            raise InvalidTransition(_("This prescription is no longer awaiting review."),
                                    current_status=prescription.status)
        raise AlreadyClaimed(_("Another pharmacist is reviewing this prescription."))
    audit.record(session=session, actor_id=pharmacist.id, action=ConsultEvent.PRESCRIPTION_CLAIMED,
                 subject_type="prescription", subject_id=prescription.id, detail={})
    return prescription


def _as_claimant(session, pharmacist, prescription_id) -> Prescription:
    prescription = prescriptions.get(session=session, user=pharmacist, prescription_id=prescription_id)
    if prescription.status == "pending_review" and prescription.claimed_by != pharmacist.id:
        raise Forbidden(_("Claim the prescription before reviewing it."))
    return prescription


def approve(*, session: Session, pharmacist: User, prescription_id: str, note: str | None) -> Prescription:
    prescription = _as_claimant(session, pharmacist, prescription_id)
    LIFECYCLE.check(prescription.status, "approved")
    prescriptions.refuse_if_referred_offline(session=session, prescription=prescription, target_status="approved")
    now = utcnow()
    if prescription.valid_until <= now:
        raise InvalidTransition(_("The prescription has expired; reject it as expired."),
                                current_status="expired")
    result = recheck(session=session, prescription=prescription)
    if result["blocking"]:
        raise SafetyCheckFailed(_("The patient's record now gives blocking findings; reject instead."),
                                safety=result)
    LIFECYCLE.advance(session, prescription, "approved", where=[Prescription.claimed_by == pharmacist.id],
                      reviewed_by=pharmacist.id, reviewed_at=now, review_note=note)
    session.add(PrescriptionReview(prescription_id=prescription.id, pharmacist_id=pharmacist.id,
                                   decision="approved", note=note, safety=result))
    audit.record(session=session, actor_id=pharmacist.id, action=ConsultEvent.PRESCRIPTION_APPROVED,
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"warnings": len(result["warnings"])})
    return prescription


def reject(*, session: Session, pharmacist: User, prescription_id: str, reason_code: str,
           note: str | None) -> Prescription:
    if reason_code not in REJECT_REASONS:
        raise ValidationFailed(_("Unknown reason code."), errors={"reason_code": [
            f"One of: {', '.join(REJECT_REASONS)}."]})
    prescription = _as_claimant(session, pharmacist, prescription_id)
    result = recheck(session=session, prescription=prescription)
    now = utcnow()
    LIFECYCLE.advance(session, prescription, "rejected", where=[Prescription.claimed_by == pharmacist.id],
                      reviewed_by=pharmacist.id, reviewed_at=now, review_note=note,
                      reject_reason_code=reason_code, closed_at=closing_time(prescription, now))
    session.add(PrescriptionReview(prescription_id=prescription.id, pharmacist_id=pharmacist.id,
                                   decision="rejected", reason_code=reason_code, note=note, safety=result))
    audit.record(session=session, actor_id=pharmacist.id, action=ConsultEvent.PRESCRIPTION_REJECTED,
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"reason_code": reason_code})
    return prescription


def worksheet(*, session: Session, pharmacist: User, prescription_id: str) -> dict:
    """What the claimant reviews: the patient's facts the rules read, their active medication
    profile, and the findings as the record gives them now. Reading the record is audited and
    open only to the pharmacist holding the claim (consult.patients.read_record)."""
    prescription = _as_claimant(session, pharmacist, prescription_id)
    patient = patients.read_record(session=session, user=pharmacist, patient_id=prescription.patient_id)
    medication = active_medication_profile(session=session, patient_id=patient.id, today=utcnow().date(),
                                           exclude_prescription_id=prescription.id)
    return {"facts": patient_facts(patient), "profile": medication,
            "safety": recheck(session=session, prescription=prescription)}
