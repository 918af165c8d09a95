"""E-prescriptions: who may see them, the doctor's draft, signature and cancellation, and expiry.

Only a human doctor's signature makes a prescription; nothing here creates one on its own.
The pharmacist's review is in consult.review, the safety checks in consult.screening, and what
the shop may ask of a prescription in consult.dispensing.
"""

from datetime import datetime

from sqlalchemy import and_, false, select, true
from sqlalchemy.orm import Session

from consult import consultations, packs, patients
from consult.formulary import get_formulary
from consult.models import Consultation, Drug, Patient, Prescription, PrescriptionItem
from consult.policy import (
    controlled_substance_refusals, get_policy, prescription_refusals, requires_otp, valid_until,
)
from consult.screening import SafetyCheckFailed, check_safety, items_of, recheck, safety_item
from core import audit
from core.db import closing_time, utcnow
from core.errors import InvalidTransition, NotFound, PolicyViolation, ValidationFailed
from core.i18n import _
from core.identity.accounts import check_second_factor
from core.identity.models import User
from core.pagination import Page, paginate
from core.states import StateMachine
from consult.events import ConsultEvent
from core.i18n import _

LIFECYCLE = StateMachine("prescription", {
    "draft": {"pending_review", "cancelled"},
    "pending_review": {"approved", "rejected", "cancelled", "expired"},
    "approved": {"dispensed", "expired", "cancelled"},
    "rejected": set(), "dispensed": set(), "expired": set(), "cancelled": set(),
})


# ---- reading -------------------------------------------------------------------------

def get(*, session: Session, user: User, prescription_id: str) -> Prescription:
    """Its patient, its doctor, any pharmacist, an admin; anyone else is told it does not exist."""
    prescription = session.get(Prescription, prescription_id)
    allowed = prescription is not None and _may_see(session, user, prescription)
    if prescription is not None:
        audit.record_read(session=session, reader=user, action=ConsultEvent.PRESCRIPTION_READ,
                          subject_type="prescription", subject_id=prescription.id,
                          patient_id=prescription.patient_id, refused=not allowed)
    if not allowed:
        raise NotFound(_("No such prescription."))
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


def visible_to(*, session: Session, user: User):
    """_may_see as a condition on Prescription, for searches (the same rule, kept beside it)."""
    if user.role == "admin":
        return true()
    if user.role == "pharmacist":
        return Prescription.status != "draft"
    if user.role == "doctor":
        return Prescription.doctor_id == user.id
    if user.role == "patient":
        return and_(Prescription.status != "draft",
                    Prescription.patient_id == patients.of_user(session=session, user=user).id)
    return false()


def list_for(*, session: Session, user: User, status: str | None, limit: int | None,
             cursor: str | None) -> Page:
    """Patients and doctors see their own; pharmacists the review queue, oldest signature first (and
    signed prescriptions by status, never drafts)."""
    stmt = select(Prescription)
    keys = (Prescription.created_at, Prescription.id)
    if user.role == "patient":
        stmt = stmt.where(Prescription.patient_id == patients.of_user(session=session, user=user).id,
                          Prescription.status != "draft")
    elif user.role == "doctor":
        stmt = stmt.where(Prescription.doctor_id == user.id)
    elif user.role == "pharmacist":  # never a doctor's unsigned draft, even asked for by status
        stmt = stmt.where(Prescription.status == (status or "pending_review"), Prescription.status != "draft")
        keys = (Prescription.signed_at, Prescription.id)
    if status:
        stmt = stmt.where(Prescription.status == status)
    page = paginate(session, stmt, keys=keys, limit=limit, cursor=cursor)
    audit.record_list_read(session=session, reader=user, action=ConsultEvent.PRESCRIPTION_LIST_READ,
                           subject_type="prescription", subjects=[(p.id, p.patient_id) for p in page.items])
    return page


# ---- the doctor ----------------------------------------------------------------------

def _refuse(refusals, **extra) -> None:
    """Raise the first policy refusal, listing them all."""
    if refusals:
        first = refusals[0]
        raise PolicyViolation(first.message, rule=first.rule, citation=first.citation,
                              violations=[{**extra, "rule": r.rule, "citation": r.citation, "message": r.message}
                                          for r in refusals])


def _screened_items(session: Session, doctor: User, consultation_id: str, items: list[dict],
                    controlled_substance_basis: dict | None):
    """The consultation, its patient, the policy, the item rows (unsaved) and the basis as stored,
    once every refusal a draft meets has been checked."""
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.doctor_id != doctor.id:
        raise NotFound(_("No such consultation of yours."))
    if consultation.status != "in_progress":
        raise InvalidTransition(_("Prescribe only during a consultation in progress."),
                                current_status=consultation.status)
    consultations.require_guardian(session=session, consultation=consultation)
    consultations.require_prior_diagnosis_evidence(consultation=consultation)
    policy = get_policy(consultation.policy)
    formulary = get_formulary()
    rows = []
    for position, values in enumerate(items):
        values = _in_units(session, position, values)
        drug = session.get(Drug, values["drug_id"])
        if drug is None or not drug.active:
            raise ValidationFailed(_("Unknown drug."), errors={f"items.{position}.drug_id": [_("Not in the formulary.")]})
        row = PrescriptionItem(position=position, quantity_remaining=values["quantity"],
                               refills_remaining=values.get("refills", 0), **values)
        _refuse(prescription_refusals(policy, drug=formulary.drugs[drug.id], item=safety_item(row)), item=position)
        rows.append(row)
    basis = _jsonable(controlled_substance_basis)
    _refuse(controlled_substance_refusals(policy, drugs=[formulary.drugs[r.drug_id] for r in rows], basis=basis,
                                          today=utcnow().date()))
    patient = session.get(Patient, consultation.patient_id)
    return consultation, patient, policy, rows, basis


def screen(*, session: Session, doctor: User, consultation_id: str, items: list[dict],
           controlled_substance_basis: dict | None = None) -> dict:
    """The safety findings a draft of these items would get, saving nothing: the doctor sees them
    while writing (the same refusals and the same checks as create_draft)."""
    consultation, patient, _, rows, _ = _screened_items(session, doctor, consultation_id, items,
                                                        controlled_substance_basis)
    return check_safety(session=session, patient=patient, items=rows, policy_name=consultation.policy)


def create_draft(*, session: Session, doctor: User, consultation_id: str, items: list[dict],
                 diagnosis: dict, controlled_substance_basis: dict | None = None) -> Prescription:
    """A draft with its safety findings; the jurisdiction's refusals (a young child's guardian, a follow-up's
    confirmed record of its offline diagnosis, per item, and for controlled substances online the Ryan Haight
    basis) are 422 policy-violation."""
    consultation, patient, policy, rows, basis = _screened_items(session, doctor, consultation_id, items,
                                                                 controlled_substance_basis)
    prescription = Prescription(consultation_id=consultation.id, patient_id=patient.id,
                                doctor_id=doctor.id, status="draft", policy=consultation.policy,
                                diagnosis=diagnosis, ruleset_version=policy.ruleset_version,
                                controlled_substance_basis=basis)
    prescription.safety = check_safety(session=session, patient=patient, items=rows,
                                       policy_name=consultation.policy)
    session.add(prescription)
    session.flush()
    for row in rows:
        row.prescription_id = prescription.id
        session.add(row)
    session.flush()
    audit.record(session=session, actor_id=doctor.id, action=ConsultEvent.PRESCRIPTION_DRAFTED,
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"items": len(rows), "blocking": len(prescription.safety["blocking"]),
                         "warnings": len(prescription.safety["warnings"])})
    return prescription


def _in_units(session: Session, position: int, values: dict) -> dict:
    """The item as stored: written in packs of a product, its drug is the product's and its quantity the packs'
    units (the pack size kept with it); written in units, it is kept as written."""
    if "packs" not in values:
        return values
    pack = packs.find(session=session, product_id=values["product_id"])
    if pack is None:
        raise ValidationFailed(_("Unknown product."), errors={f"items.{position}.product_id": [_("No such product.")]})
    if values.get("drug_id") not in (None, pack.drug_id):
        raise ValidationFailed(_("The drug is not the product's."), errors={f"items.{position}.drug_id": [
            _("Product %(id)s is a pack of %(drug)s.", id=pack.product_id, drug=pack.drug_id)]})
    return {**values, "drug_id": pack.drug_id, "quantity": values["packs"] * pack.pack_size,
            "pack_size": pack.pack_size}


def _of_its_doctor(session, doctor, prescription_id) -> Prescription:
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or prescription.doctor_id != doctor.id:
        raise NotFound(_("No such prescription of yours."))
    return prescription


def refuse_if_referred_offline(*, session: Session, prescription: Prescription, target_status: str) -> None:
    """A consultation referred offline (a red flag in a later message) ends its online prescribing: none of its
    prescriptions is signed, approved or dispensed any more (InvalidTransition); the doctor cancels, the pharmacist
    rejects.

    A state conflict, not a jurisdiction's rule: it holds under every policy, and the triage reasons that
    closed the consultation carry their own sources.
    """
    consultation = session.get(Consultation, prescription.consultation_id)
    if consultation.status == "referred_offline":
        raise InvalidTransition(_("The consultation was referred offline: this prescription can no longer be "
                                  "signed, approved or dispensed."), current_status=prescription.status,
                                target_status=target_status, consultation_status=consultation.status)


def sign(*, session: Session, doctor: User, prescription_id: str, otp: str | None = None,
         override_reason: str | None = None) -> Prescription:
    prescription = _of_its_doctor(session, doctor, prescription_id)
    LIFECYCLE.check(prescription.status, "pending_review")
    refuse_if_referred_offline(session=session, prescription=prescription, target_status="pending_review")
    result = recheck(session=session, prescription=prescription)
    prescription.safety = result
    if result["blocking"]:
        raise SafetyCheckFailed(_("Blocking safety findings: this prescription cannot be signed."),
                                safety=result)
    if result["warnings"] and not (override_reason or "").strip():
        raise ValidationFailed(_("Safety warnings need a written reason to override them."),
                               errors={"override_reason": [_("Required: the prescription has safety warnings.")]},
                               safety=result)
    policy = get_policy(prescription.policy)
    formulary = get_formulary()
    drugs = [formulary.drugs[i.drug_id] for i in items_of(session=session, prescription=prescription)]
    now = utcnow()
    _refuse(controlled_substance_refusals(policy, drugs=drugs, basis=prescription.controlled_substance_basis,
                                          today=now.date()))
    if requires_otp(policy, drugs=drugs) and not check_second_factor(session=session, user=doctor, otp=otp):
        raise PolicyViolation(_("A controlled-drug prescription needs the code from your enrolled authenticator."),
                              rule="us.epcs-two-factor", citation=policy.rule("us.epcs-two-factor").citation,
                              errors={"otp": [_("A valid one-time code is required.")]})
    LIFECYCLE.advance(session, prescription, "pending_review", signed_at=now,
                      ruleset_version=policy.ruleset_version,
                      valid_until=valid_until(policy, drugs=drugs, signed_at=now),
                      override_reason=override_reason if result["warnings"] else None,
                      safety=result)
    audit.record(session=session, actor_id=doctor.id, action=ConsultEvent.PRESCRIPTION_SIGNED,
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"overridden_warnings": len(result["warnings"]), "second_factor": bool(otp)})
    return prescription


def cancel(*, session: Session, doctor: User, prescription_id: str, reason: str | None) -> Prescription:
    prescription = _of_its_doctor(session, doctor, prescription_id)
    LIFECYCLE.advance(session, prescription, "cancelled", closed_at=closing_time(prescription), review_note=reason)
    audit.record(session=session, actor_id=doctor.id, action=ConsultEvent.PRESCRIPTION_CANCELLED,
                 subject_type="prescription", subject_id=prescription.id, detail={})
    return prescription


def _jsonable(basis: dict | None) -> dict | None:
    """The basis as stored: dates as ISO strings."""
    if not basis:
        return None
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in basis.items()}


# ---- expiry --------------------------------------------------------------------------

def expire_due(*, session: Session, now: datetime | None = None) -> int:
    """Move prescriptions past `valid_until` to expired (the job; use also checks the time).
    """
    now = now or utcnow()
    due = list(session.scalars(select(Prescription).where(
        Prescription.status.in_(("pending_review", "approved")), Prescription.valid_until <= now)))
    for prescription in due:
        try:
            LIFECYCLE.advance(session, prescription, "expired", closed_at=closing_time(prescription, now))
        except InvalidTransition:
            continue  # moved on meanwhile (approved → dispensed, say): nothing to expire
        audit.record(session=session, actor_id=None, action=ConsultEvent.PRESCRIPTION_EXPIRED,
                     subject_type="prescription", subject_id=prescription.id, detail={})
    return len(due)


def needs_second_factor(*, session: Session, prescription: Prescription) -> bool:
    """Will signing ask for the code of the doctor's authenticator (the policy's rule, as sign applies it)?"""
    formulary = get_formulary()
    return requires_otp(get_policy(prescription.policy),
                        drugs=[formulary.drugs[i.drug_id] for i in items_of(session=session, prescription=prescription)])
