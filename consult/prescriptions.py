"""E-prescriptions: draft, sign, pharmacist review, and the quantities a purchase may use.

Only a human doctor's signature makes a prescription; nothing here creates one on its own.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from consult import patients, safety
from consult.formulary import get_formulary
from consult.models import (
    Consultation, Drug, Patient, Prescription, PrescriptionItem, PrescriptionReview,
)
from consult.policy import get_policy, prescription_refusals, requires_otp, valid_until
from core import audit
from core.db import utcnow
from core.errors import AlreadyClaimed, DomainError, Forbidden, InvalidTransition, NotFound, PolicyViolation, ValidationFailed
from core.identity.accounts import verify_totp
from core.identity.models import User
from core.pagination import Page, paginate
from core.states import StateMachine

LIFECYCLE = StateMachine("prescription", {
    "draft": {"pending_review", "cancelled"},
    "pending_review": {"approved", "rejected", "cancelled", "expired"},
    "approved": {"dispensed", "expired", "cancelled"},
    "rejected": set(), "dispensed": set(), "expired": set(), "cancelled": set(),
})
ACTIVE = ("pending_review", "approved")
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


class SafetyCheckFailed(DomainError):
    slug = "safety-check-failed"


# ---- reading -------------------------------------------------------------------------

def get(*, session: Session, user: User, prescription_id: str) -> Prescription:
    """Its patient, its doctor, any pharmacist, an admin; anyone else is told it does not exist."""
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or not _may_see(session, user, prescription):
        raise NotFound("No such prescription.")
    return prescription


def _may_see(session: Session, user: User, prescription: Prescription) -> bool:
    if user.role in ("admin", "pharmacist"):
        return prescription.status != "draft" or user.role == "admin"
    if user.role == "doctor":
        return prescription.doctor_id == user.id
    if user.role == "patient":
        return (prescription.status != "draft"
                and patients.of_user(session=session, user=user).id == prescription.patient_id)
    return False


def list_for(*, session: Session, user: User, status: str | None, limit: int | None,
             cursor: str | None) -> Page:
    """Patients and doctors see their own; pharmacists the review queue, oldest signature first."""
    stmt = select(Prescription)
    keys = (Prescription.created_at, Prescription.id)
    if user.role == "patient":
        stmt = stmt.where(Prescription.patient_id == patients.of_user(session=session, user=user).id,
                          Prescription.status != "draft")
    elif user.role == "doctor":
        stmt = stmt.where(Prescription.doctor_id == user.id)
    elif user.role == "pharmacist":
        stmt = stmt.where(Prescription.status == (status or "pending_review"))
        keys = (Prescription.signed_at, Prescription.id)
    if status:
        stmt = stmt.where(Prescription.status == status)
    return paginate(session, stmt, keys=keys, limit=limit, cursor=cursor)


def items_of(session: Session, prescription: Prescription) -> list[PrescriptionItem]:
    return list(session.scalars(select(PrescriptionItem)
                                .where(PrescriptionItem.prescription_id == prescription.id)
                                .order_by(PrescriptionItem.position)))


def reviews_of(session: Session, prescription: Prescription) -> list[PrescriptionReview]:
    return list(session.scalars(select(PrescriptionReview)
                                .where(PrescriptionReview.prescription_id == prescription.id)
                                .order_by(PrescriptionReview.created_at)))


# ---- safety --------------------------------------------------------------------------

def patient_facts(patient: Patient) -> safety.PatientFacts:
    return safety.PatientFacts(
        birth_date=patient.birth_date, sex=patient.sex, pregnant=patient.pregnant,
        weight_kg=patient.weight_kg,
        allergies=tuple(safety.Allergy(substance=a["substance"], reaction=a.get("reaction"),
                                       severity=a.get("severity")) for a in patient.allergies),
        conditions=tuple((c["code"], c["display"]) for c in patient.conditions),
        current_medications=tuple(m.get("drug_id") or m.get("name") for m in patient.current_medications
                                  if m.get("drug_id") or m.get("name")),
    )


def _safety_item(item) -> safety.Item:
    return safety.Item(drug_id=item.drug_id, dose=Decimal(str(item.dose)), dose_unit=item.dose_unit,
                       frequency_per_day=Decimal(str(item.frequency_per_day)), route=item.route,
                       days_supply=item.days_supply, quantity=item.quantity, refills=item.refills)


def check_safety(session: Session, *, patient: Patient, items, policy_name: str,
                 exclude_prescription_id: str | None = None) -> dict:
    """Findings for `items` against the patient's record and other active prescriptions."""
    others = select(PrescriptionItem).join(Prescription).where(
        Prescription.patient_id == patient.id, Prescription.status.in_(ACTIVE))
    if exclude_prescription_id:
        others = others.where(Prescription.id != exclude_prescription_id)
    findings = safety.check(
        formulary=get_formulary(), patient=patient_facts(patient),
        items=[_safety_item(i) for i in items],
        active_items=[_safety_item(i) for i in session.scalars(others)],
        today=utcnow().date(), policy=get_policy(policy_name))
    return safety.split(findings)


def recheck(*, session: Session, prescription: Prescription) -> dict:
    """The checks again, on the patient's record as it is now (at review and dispensing)."""
    patient = session.get(Patient, prescription.patient_id)
    return check_safety(session, patient=patient, items=items_of(session, prescription),
                        policy_name=prescription.policy, exclude_prescription_id=prescription.id)


# ---- the doctor ----------------------------------------------------------------------

def create_draft(*, session: Session, doctor: User, consultation_id: str, items: list[dict],
                 diagnosis: dict) -> Prescription:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.doctor_id != doctor.id:
        raise NotFound("No such consultation of yours.")
    if consultation.status != "in_progress":
        raise InvalidTransition("Prescribe only during a consultation in progress.",
                                current_status=consultation.status)
    policy = get_policy(consultation.policy)
    formulary = get_formulary()
    rows = []
    for position, values in enumerate(items):
        drug = session.get(Drug, values["drug_id"])
        if drug is None or not drug.active:
            raise ValidationFailed("Unknown drug.", errors={f"items.{position}.drug_id": ["Not in the formulary."]})
        row = PrescriptionItem(position=position, quantity_remaining=values["quantity"],
                               refills_remaining=values.get("refills", 0), **values)
        refusals = prescription_refusals(policy, drug=formulary.drugs[drug.id], item=_safety_item(row))
        if refusals:
            first = refusals[0]
            raise PolicyViolation(first.message, rule=first.rule, citation=first.citation,
                                  violations=[{"item": position, "rule": r.rule, "citation": r.citation,
                                               "message": r.message} for r in refusals])
        rows.append(row)
    patient = session.get(Patient, consultation.patient_id)
    prescription = Prescription(consultation_id=consultation.id, patient_id=patient.id,
                                doctor_id=doctor.id, status="draft", policy=consultation.policy,
                                diagnosis=diagnosis)
    prescription.safety = check_safety(session, patient=patient, items=rows, policy_name=consultation.policy)
    session.add(prescription)
    session.flush()
    for row in rows:
        row.prescription_id = prescription.id
        session.add(row)
    session.flush()
    audit.record(session, actor_id=doctor.id, action="prescription.drafted",
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"items": len(rows), "blocking": len(prescription.safety["blocking"]),
                         "warnings": len(prescription.safety["warnings"])})
    return prescription


def _of_its_doctor(session, doctor, prescription_id) -> Prescription:
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or prescription.doctor_id != doctor.id:
        raise NotFound("No such prescription of yours.")
    return prescription


def sign(*, session: Session, doctor: User, prescription_id: str, otp: str | None = None,
         override_reason: str | None = None) -> Prescription:
    prescription = _of_its_doctor(session, doctor, prescription_id)
    LIFECYCLE.check(prescription.status, "pending_review")
    result = recheck(session=session, prescription=prescription)
    prescription.safety = result
    if result["blocking"]:
        raise SafetyCheckFailed("Blocking safety findings: this prescription cannot be signed.",
                                safety=result)
    if result["warnings"] and not (override_reason or "").strip():
        raise ValidationFailed("Safety warnings need a written reason to override them.",
                               errors={"override_reason": ["Required: the prescription has safety warnings."]},
                               safety=result)
    policy = get_policy(prescription.policy)
    formulary = get_formulary()
    drugs = [formulary.drugs[i.drug_id] for i in items_of(session, prescription)]
    if requires_otp(policy, drugs=drugs) and not verify_totp(doctor, otp):
        raise PolicyViolation("A controlled-drug prescription needs the code from your enrolled authenticator.",
                              rule="us.epcs-two-factor", citation="21 CFR 1311.120, 1311.140",
                              errors={"otp": ["A valid one-time code is required."]})
    now = utcnow()
    LIFECYCLE.advance(session, prescription, "pending_review", signed_at=now,
                      valid_until=valid_until(policy, drugs=drugs, signed_at=now),
                      override_reason=override_reason if result["warnings"] else None,
                      safety=result)
    audit.record(session, actor_id=doctor.id, action="prescription.signed",
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"overridden_warnings": len(result["warnings"]), "second_factor": bool(otp)})
    return prescription


def cancel(*, session: Session, doctor: User, prescription_id: str, reason: str | None) -> Prescription:
    prescription = _of_its_doctor(session, doctor, prescription_id)
    LIFECYCLE.advance(session, prescription, "cancelled", closed_at=utcnow(), review_note=reason)
    audit.record(session, actor_id=doctor.id, action="prescription.cancelled",
                 subject_type="prescription", subject_id=prescription.id, detail={})
    return prescription


# ---- the pharmacist ------------------------------------------------------------------

def claim(*, session: Session, pharmacist: User, prescription_id: str) -> Prescription:
    """Take a prescription for review; one pharmacist at a time (a claim lapses after 30 min)."""
    prescription = get(session=session, user=pharmacist, prescription_id=prescription_id)
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
            raise InvalidTransition("This prescription is no longer awaiting review.",
                                    current_status=prescription.status)
        raise AlreadyClaimed("Another pharmacist is reviewing this prescription.")
    audit.record(session, actor_id=pharmacist.id, action="prescription.claimed",
                 subject_type="prescription", subject_id=prescription.id, detail={})
    return prescription


def _as_claimant(session, pharmacist, prescription_id) -> Prescription:
    prescription = get(session=session, user=pharmacist, prescription_id=prescription_id)
    if prescription.status == "pending_review" and prescription.claimed_by != pharmacist.id:
        raise Forbidden("Claim the prescription before reviewing it.")
    return prescription


def approve(*, session: Session, pharmacist: User, prescription_id: str, note: str | None) -> Prescription:
    prescription = _as_claimant(session, pharmacist, prescription_id)
    LIFECYCLE.check(prescription.status, "approved")
    now = utcnow()
    if prescription.valid_until <= now:
        raise InvalidTransition("The prescription has expired; reject it as expired.",
                                current_status="expired")
    result = recheck(session=session, prescription=prescription)
    if result["blocking"]:
        raise SafetyCheckFailed("The patient's record now gives blocking findings; reject instead.",
                                safety=result)
    LIFECYCLE.advance(session, prescription, "approved", where=[Prescription.claimed_by == pharmacist.id],
                      reviewed_by=pharmacist.id, reviewed_at=now, review_note=note)
    session.add(PrescriptionReview(prescription_id=prescription.id, pharmacist_id=pharmacist.id,
                                   decision="approved", note=note, safety=result))
    audit.record(session, actor_id=pharmacist.id, action="prescription.approved",
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"warnings": len(result["warnings"])})
    return prescription


def reject(*, session: Session, pharmacist: User, prescription_id: str, reason_code: str,
           note: str | None) -> Prescription:
    if reason_code not in REJECT_REASONS:
        raise ValidationFailed("Unknown reason code.", errors={"reason_code": [
            f"One of: {', '.join(REJECT_REASONS)}."]})
    prescription = _as_claimant(session, pharmacist, prescription_id)
    result = recheck(session=session, prescription=prescription)
    now = utcnow()
    LIFECYCLE.advance(session, prescription, "rejected", where=[Prescription.claimed_by == pharmacist.id],
                      reviewed_by=pharmacist.id, reviewed_at=now, review_note=note,
                      reject_reason_code=reason_code, closed_at=now)
    session.add(PrescriptionReview(prescription_id=prescription.id, pharmacist_id=pharmacist.id,
                                   decision="rejected", reason_code=reason_code, note=note, safety=result))
    audit.record(session, actor_id=pharmacist.id, action="prescription.rejected",
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"reason_code": reason_code})
    return prescription


# ---- expiry --------------------------------------------------------------------------

def expire_due(session: Session, now: datetime | None = None) -> int:
    """Move prescriptions past `valid_until` to expired (the job; use also checks the time)."""
    now = now or utcnow()
    due = list(session.scalars(select(Prescription).where(
        Prescription.status.in_(("pending_review", "approved")), Prescription.valid_until <= now)))
    for prescription in due:
        try:
            LIFECYCLE.advance(session, prescription, "expired", closed_at=now)
        except InvalidTransition:
            continue  # moved on meanwhile (approved → dispensed, say): nothing to expire
        audit.record(session, actor_id=None, action="prescription.expired",
                     subject_type="prescription", subject_id=prescription.id, detail={})
    return len(due)


def describe(session: Session, prescriptions: list[Prescription]) -> list[dict]:
    """Prescriptions as the API shows them, items and reviews loaded in one query each."""
    ids = [p.id for p in prescriptions]
    items: dict[str, list] = {i: [] for i in ids}
    reviews: dict[str, list] = {i: [] for i in ids}
    if ids:
        for item in session.scalars(select(PrescriptionItem).where(PrescriptionItem.prescription_id.in_(ids))
                                    .order_by(PrescriptionItem.position)):
            items[item.prescription_id].append(item)
        for review in session.scalars(select(PrescriptionReview)
                                      .where(PrescriptionReview.prescription_id.in_(ids))
                                      .order_by(PrescriptionReview.created_at)):
            reviews[review.prescription_id].append(review)
    described = []
    for p in prescriptions:
        values = {c.key: getattr(p, c.key) for c in Prescription.__table__.columns}
        values["items"] = items[p.id]
        values["reviews"] = reviews[p.id]
        values["refills_remaining"] = min((i.refills_remaining for i in items[p.id]), default=0)
        values["reject_reason"] = REJECT_REASONS.get(p.reject_reason_code) if p.reject_reason_code else None
        described.append(values)
    return described
