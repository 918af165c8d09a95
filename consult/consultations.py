"""Consultations: create (with triage and policy), queue, accept, message (triaged), complete, cancel."""

from datetime import date

from flask import current_app
from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from consult import consultation_requests, patients
from consult.events import ConsultEvent
from consult.models import Consultation, ConsultationMessage, Patient
from consult.policy import (
    consultation_refusals,
    get_policy,
    guardian_refusal,
    prior_diagnosis_evidence_refusal,
)
from consult.safety_facts import age_in_months
from consult.triage import triage
from core import audit
from core.db import closing_time, utcnow
from core.errors import (
    AlreadyClaimed,
    Forbidden,
    InvalidTransition,
    NotFound,
    PolicyViolation,
    ValidationFailed,
)
from core.identity.models import User
from core.pagination import Page, paginate
from core.states import StateMachine
from core.i18n import _, force_locale

LIFECYCLE = StateMachine("consultation", {
    # A red flag in a later message of the patient's refers an open consultation offline.
    "waiting": {"in_progress", "cancelled", "referred_offline"},
    "in_progress": {"completed", "cancelled", "referred_offline"},
    "completed": set(),
    "cancelled": set(),
    "referred_offline": set(),
}, initial=("waiting", "referred_offline"))
OPEN = ("waiting", "in_progress")


def create(*, session: Session, user: User, chief_complaint: str, symptoms: list[str],
         is_follow_up: bool, prior_diagnosis: dict | None = None, prior_diagnosis_evidence: dict | None = None,
         guardian: dict | None = None, requested_product_ids: list[str] | None = None,
         requested_products: list[dict] | None = None) -> Consultation:
    """Triage first: red flags or the jurisdiction's rules send the patient offline. A young child
    without a guardian recorded is refused (policy-violation), unless a red flag refers them anyway.
    The record of a prior offline diagnosis is kept as given, once its date is shown not to be in the future.
    A consultation asking for products (a prescription) must carry what prescribing needs under the policy
    (consult.consultation_requests): a validation error names the missing fields."""
    patient = patients.of_user(session=session, user=user)
    prior_diagnosis_evidence = _evidence_as_recorded(prior_diagnosis_evidence)
    policy_name = current_app.config["RXLOOP_POLICY"]
    requested = consultation_requests.requested_products(
        session=session, product_ids=requested_product_ids or [], requested=requested_products or [])
    if requested:
        consultation_requests.require_complete(
            patient=patient, policy_name=policy_name, is_follow_up=is_follow_up,
            given={"prior_diagnosis": prior_diagnosis, "prior_diagnosis_evidence": prior_diagnosis_evidence,
                   "guardian": guardian})
    reasons = _red_flags(patient, chief_complaint=chief_complaint, symptoms=symptoms)
    if not reasons:
        _refuse_without_guardian(policy_name, patient, guardian, prescribing=False)
    with force_locale("en"):  # stored as its catalogue id, like the red flags; shown in the reader's language
        refusals = consultation_refusals(get_policy(policy_name), is_follow_up=is_follow_up,
                                         prior_diagnosis=prior_diagnosis)
    reasons += [{"code": "policy", "message": r.message, "rule": r.rule, "citation": r.citation} for r in refusals]
    now = utcnow()
    consultation = Consultation(
        patient_id=patient.id, status="referred_offline" if reasons else "waiting",
        policy=policy_name, chief_complaint=chief_complaint, symptoms=symptoms,
        is_follow_up=is_follow_up, prior_diagnosis=prior_diagnosis,
        prior_diagnosis_evidence=prior_diagnosis_evidence, guardian=guardian,
        requested_product_ids=[r["product_id"] for r in requested], requested_products=requested,
        triage_reasons=reasons, created_at=now, closed_at=now if reasons else None)
    session.add(consultation)
    session.flush()
    audit.record(session=session, actor_id=user.id, action=(ConsultEvent.CONSULTATION_REFERRED_OFFLINE if reasons
                                                  else ConsultEvent.CONSULTATION_WAITING),
                 subject_type="consultation", subject_id=consultation.id,
                 detail={"triage_codes": sorted({r["code"] for r in reasons})})
    return consultation


def _refuse_without_guardian(policy_name: str, patient, guardian: dict | None, *, prescribing: bool) -> None:
    months = age_in_months(patient.birth_date, utcnow().date())
    refusal = guardian_refusal(get_policy(policy_name), age_years=None if months is None else months // 12,
                               guardian=guardian, prescribing=prescribing)
    if refusal is not None:
        raise PolicyViolation(refusal.message, rule=refusal.rule, citation=refusal.citation)


def require_guardian(*, session: Session, consultation: Consultation) -> None:
    """Before prescribing: a young child's guardian is recorded and confirmed present (PolicyViolation if not)."""
    patient = session.get(Patient, consultation.patient_id)
    _refuse_without_guardian(consultation.policy, patient, consultation.guardian, prescribing=True)


def confirm_guardian(*, session: Session, doctor: User, consultation_id: str) -> Consultation:
    """The doctor holding the consultation confirms the child's recorded guardian is present."""
    consultation = _in_progress_as_its_doctor(session, doctor, consultation_id,
                                              confirming=_("Confirm the guardian during the consultation."))
    policy = get_policy(consultation.policy)
    if not consultation.guardian and policy.guardian_under_years is None:
        raise ValidationFailed(_("No guardian is recorded for this consultation."), errors={"guardian": [_("Not recorded.")]})
    if not consultation.guardian:
        raise PolicyViolation(_("No guardian is recorded for this consultation."), rule="cn.child-under-6-guardian",
                              citation=policy.rule("cn.child-under-6-guardian").citation)
    return _confirm(session, doctor, consultation, "guardian", ConsultEvent.CONSULTATION_GUARDIAN_CONFIRMED)


def _in_progress_as_its_doctor(session, doctor, consultation_id, *, confirming: str) -> Consultation:
    consultation = _as_its_doctor(session, doctor, consultation_id)
    if consultation.status != "in_progress":
        raise InvalidTransition(confirming, current_status=consultation.status)
    return consultation


def _confirm(session: Session, doctor: User, consultation: Consultation, field: str,
             event: ConsultEvent) -> Consultation:
    """Stamp a recorded fact of the consultation as confirmed by its doctor (the audit detail stays empty:
    the record is the patient's)."""
    setattr(consultation, field, {**getattr(consultation, field), "confirmed_by": doctor.id,
                                  "confirmed_at": utcnow().isoformat()})
    session.flush()
    audit.record(session=session, actor_id=doctor.id, action=event, subject_type="consultation",
                 subject_id=consultation.id, detail={})
    return consultation


def _evidence_as_recorded(evidence: dict | None) -> dict | None:
    """The evidence as stored (its date an ISO string); a date after today is a validation error."""
    if not evidence:
        return None
    on = evidence.get("date")
    if isinstance(on, str):
        on = date.fromisoformat(on)
    if on is not None and on > utcnow().date():
        raise ValidationFailed(_("The prior diagnosis cannot be dated in the future."),
                               errors={"prior_diagnosis_evidence.date": [_("Not in the future.")]})
    return {**evidence, "date": on.isoformat() if on is not None else None}


def require_prior_diagnosis_evidence(*, consultation: Consultation) -> None:
    """Before prescribing: the follow-up's offline diagnosis is on record and confirmed (PolicyViolation if not)."""
    refusal = prior_diagnosis_evidence_refusal(get_policy(consultation.policy),
                                               evidence=consultation.prior_diagnosis_evidence, prescribing=True)
    if refusal is not None:
        raise PolicyViolation(refusal.message, rule=refusal.rule, citation=refusal.citation)


def confirm_prior_diagnosis(*, session: Session, doctor: User, consultation_id: str) -> Consultation:
    """The doctor holding the consultation confirms the record of the prior offline diagnosis."""
    consultation = _in_progress_as_its_doctor(session, doctor, consultation_id,
                                              confirming=_("Confirm the prior diagnosis during the consultation."))
    refusal = prior_diagnosis_evidence_refusal(get_policy(consultation.policy),
                                               evidence=consultation.prior_diagnosis_evidence, prescribing=False)
    if refusal is not None:
        raise PolicyViolation(refusal.message, rule=refusal.rule, citation=refusal.citation)
    if not consultation.prior_diagnosis_evidence:
        raise ValidationFailed(_("No record of a prior offline diagnosis is given for this consultation."),
                               errors={"prior_diagnosis_evidence": [_("Not recorded.")]})
    return _confirm(session, doctor, consultation, "prior_diagnosis_evidence",
                    ConsultEvent.CONSULTATION_PRIOR_DIAGNOSIS_CONFIRMED)


def _red_flags(patient, *, chief_complaint: str, symptoms: list[str], messages=()) -> list[dict]:
    """The triage reasons as a consultation records them."""
    months = age_in_months(patient.birth_date, utcnow().date())
    return [{"code": r.code, "message": r.message, "source": r.source} for r in triage(
        chief_complaint=chief_complaint, symptoms=symptoms, age_years=months // 12, age_months=months,
        pregnant=patient.pregnant, messages=messages)]


def get(*, session: Session, user: User, consultation_id: str) -> Consultation:
    """Its patient, its doctor (or any doctor while it waits in the queue), or an admin."""
    consultation = session.get(Consultation, consultation_id)
    allowed = consultation is not None and _may_see(session, user, consultation)
    if consultation is not None:
        audit.record_read(session=session, reader=user, action=ConsultEvent.CONSULTATION_READ,
                          subject_type="consultation", subject_id=consultation.id,
                          patient_id=consultation.patient_id, refused=not allowed)
    if not allowed:
        raise NotFound(_("No such consultation."))
    return consultation


def _may_see(session: Session, user: User, consultation: Consultation) -> bool:
    if user.role == "admin":
        return True
    if user.role == "doctor":
        return consultation.doctor_id == user.id or consultation.status == "waiting"
    if user.role == "patient":
        return patients.of_user(session=session, user=user).id == consultation.patient_id
    return False


def visible_to(*, session: Session, user: User):
    """_may_see as a condition on Consultation, for searches (the same rule, kept beside it)."""
    if user.role == "admin":
        return true()
    if user.role == "doctor":
        return or_(Consultation.doctor_id == user.id, Consultation.status == "waiting")
    if user.role == "patient":
        return Consultation.patient_id == patients.of_user(session=session, user=user).id
    return false()


def list_for(*, session: Session, user: User, status: str | None, limit: int | None,
             cursor: str | None) -> Page:
    """Patients see their own; doctors the waiting queue (oldest first) and their own."""
    stmt = select(Consultation)
    if user.role == "patient":
        stmt = stmt.where(Consultation.patient_id == patients.of_user(session=session, user=user).id)
    elif user.role == "doctor":
        stmt = stmt.where(or_(Consultation.status == "waiting", Consultation.doctor_id == user.id))
    elif user.role != "admin":
        raise Forbidden(_("Consultations are for patients, doctors and admins."))
    if status:
        stmt = stmt.where(Consultation.status == status)
    page = paginate(session, stmt, keys=(Consultation.created_at, Consultation.id),
                    limit=limit, cursor=cursor)
    audit.record_list_read(session=session, reader=user, action=ConsultEvent.CONSULTATION_LIST_READ,
                           subject_type="consultation", subjects=[(c.id, c.patient_id) for c in page.items])
    return page


def accept(*, session: Session, doctor: User, consultation_id: str) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is not None and consultation.status == "in_progress" and consultation.doctor_id != doctor.id:
        raise AlreadyClaimed(_("Another doctor has accepted this consultation."))
    consultation = get(session=session, user=doctor, consultation_id=consultation_id)
    try:
        LIFECYCLE.advance(session, consultation, "in_progress", where=[Consultation.doctor_id.is_(None)],
                          doctor_id=doctor.id, accepted_at=utcnow())
    except InvalidTransition:
        if consultation.status == "in_progress" and consultation.doctor_id != doctor.id:
            raise AlreadyClaimed(_("Another doctor has accepted this consultation.")) from None
        raise
    audit.record(session=session, actor_id=doctor.id, action=ConsultEvent.CONSULTATION_ACCEPTED,
                 subject_type="consultation", subject_id=consultation.id, detail={})
    return consultation


def _as_its_doctor(session, doctor, consultation_id) -> Consultation:
    consultation = get(session=session, user=doctor, consultation_id=consultation_id)
    if consultation.doctor_id != doctor.id:
        raise Forbidden(_("Only the doctor holding this consultation may do this."))
    return consultation


def complete(*, session: Session, doctor: User, consultation_id: str, diagnosis: dict,
             notes: str | None) -> Consultation:
    consultation = _as_its_doctor(session, doctor, consultation_id)
    LIFECYCLE.advance(session, consultation, "completed", diagnosis=diagnosis, notes=notes,
                      closed_at=closing_time(consultation))
    audit.record(session=session, actor_id=doctor.id, action=ConsultEvent.CONSULTATION_COMPLETED,
                 subject_type="consultation", subject_id=consultation.id, detail={})
    return consultation


def cancel(*, session: Session, user: User, consultation_id: str, reason: str | None) -> Consultation:
    consultation = get(session=session, user=user, consultation_id=consultation_id)
    if user.role == "patient":
        if consultation.status != "waiting":
            raise InvalidTransition(_("A patient may cancel only while the consultation waits."),
                                    current_status=consultation.status, target_status="cancelled")
    elif user.role == "doctor" and consultation.doctor_id != user.id:
        raise Forbidden(_("Only the doctor holding this consultation may cancel it."))
    LIFECYCLE.advance(session, consultation, "cancelled", cancel_reason=reason, closed_at=closing_time(consultation))
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.CONSULTATION_CANCELLED,
                 subject_type="consultation", subject_id=consultation.id, detail={"by": user.role})
    return consultation


def messages(*, session: Session, user: User, consultation_id: str, limit: int | None,
             cursor: str | None) -> Page:
    try:
        consultation = _as_participant(session, user, consultation_id)
    except NotFound:
        consultation = session.get(Consultation, consultation_id)
        if consultation is not None:  # someone else's consultation: the attempt is recorded
            audit.record_read(session=session, reader=user, action=ConsultEvent.CONSULTATION_MESSAGES_READ,
                              subject_type="consultation", subject_id=consultation.id,
                              patient_id=consultation.patient_id, refused=True)
        raise
    audit.record_read(session=session, reader=user, action=ConsultEvent.CONSULTATION_MESSAGES_READ,
                      subject_type="consultation", subject_id=consultation.id, patient_id=consultation.patient_id)
    stmt = select(ConsultationMessage).where(ConsultationMessage.consultation_id == consultation.id)
    return paginate(session, stmt, keys=(ConsultationMessage.created_at, ConsultationMessage.id),
                    limit=limit, cursor=cursor)


def post_message(*, session: Session, user: User, consultation_id: str, body: str) -> ConsultationMessage:
    consultation = _as_participant(session, user, consultation_id)
    if consultation.status not in OPEN:
        raise InvalidTransition(_("Messages can be sent only while the consultation is open."),
                                current_status=consultation.status)
    message = ConsultationMessage(consultation_id=consultation.id, author_id=user.id, body=body)
    session.add(message)
    session.flush()
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.CONSULTATION_MESSAGE_POSTED,
                 subject_type="consultation", subject_id=consultation.id, detail={"message_id": message.id})
    if user.role == "patient":
        _triage_messages(session, user, consultation)
    return message


def _triage_messages(session: Session, user: User, consultation: Consultation) -> None:
    """Triage again on everything the patient has written: a red flag now refers the consultation offline.

    The message is kept (the doctor reads what was said); the consultation closes, with the new reasons.
    """
    written = session.scalars(select(ConsultationMessage.body).where(
        ConsultationMessage.consultation_id == consultation.id, ConsultationMessage.author_id == user.id)
        .order_by(ConsultationMessage.created_at, ConsultationMessage.id))
    patient = patients.of_user(session=session, user=user)
    reasons = _red_flags(patient, chief_complaint=consultation.chief_complaint, symptoms=consultation.symptoms,
                         messages=list(written))
    if not reasons:
        return
    LIFECYCLE.advance(session, consultation, "referred_offline", closed_at=closing_time(consultation),
                      triage_reasons=[*consultation.triage_reasons, *reasons])
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.CONSULTATION_REFERRED_OFFLINE,
                 subject_type="consultation", subject_id=consultation.id,
                 detail={"triage_codes": sorted({r["code"] for r in reasons}), "on": "message"})


def _as_participant(session, user, consultation_id) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("No such consultation."))
    if user.role == "doctor" and consultation.doctor_id == user.id:
        return consultation
    if user.role == "patient" and patients.of_user(session=session, user=user).id == consultation.patient_id:
        return consultation
    raise NotFound(_("No such consultation."))
