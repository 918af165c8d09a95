"""Patients: sign-up and the clinical profile the safety checks read."""

from datetime import date

from sqlalchemy import false, select, true
from sqlalchemy.orm import Session

from consult.models import Consultation, Patient, Prescription
from core import audit
from core.db import utcnow
from core.errors import NotFound, ValidationFailed
from core.identity import accounts
from core.identity.models import User
from core.pagination import Page
from consult.events import ConsultEvent
from core.i18n import _

PROFILE_FIELDS = ("full_name", "family_name", "given_name", "birth_date", "sex", "phone", "pregnant", "weight_kg",
                  "allergies", "conditions", "current_medications", "pregnancy_due_date", "egfr",
                  "egfr_measured_on", "ancestry", "genotypes")
# An expected delivery date more than 42 weeks ahead cannot belong to a pregnancy (Naegele: 40 weeks).
LATEST_DUE_DATE_DAYS = 42 * 7


def register(*, session: Session, email: str, password: str, full_name: str, birth_date: date,
             sex: str, phone: str | None = None) -> User:
    _check_birth_date(birth_date)
    user = accounts.create(session=session, email=email, password=password, role="patient",
                           full_name=full_name)
    patient = Patient(user_id=user.id, birth_date=birth_date, sex=sex, phone=phone)
    session.add(patient)
    session.flush()
    audit.record(session=session, actor_id=user.id, action=ConsultEvent.PATIENT_REGISTERED,
                 subject_type="patient", subject_id=patient.id, detail={})
    return user


def _check_birth_date(birth_date: date) -> None:
    if birth_date > utcnow().date() or birth_date.year < 1900:
        raise ValidationFailed(_("The birth date is not plausible."),
                               errors={"birth_date": [_("Must be a past date after 1900.")]})


def _check_clinical_facts(patient: Patient, changes: dict) -> None:
    """The expected delivery date and the eGFR with its date, as the record will hold them."""
    today = utcnow().date()
    due = changes.get("pregnancy_due_date")
    if due is not None and (changes.get("sex") or patient.sex) == "male":
        raise ValidationFailed(_("An expected delivery date is set for a male patient."),
                               errors={"pregnancy_due_date": [_("Inconsistent with sex.")]})
    if due is not None and (due - today).days > LATEST_DUE_DATE_DAYS:
        raise ValidationFailed(_("The expected delivery date is not plausible."),
                               errors={"pregnancy_due_date": [_("Must be at most 42 weeks from today.")]})
    egfr = changes.get("egfr", patient.egfr)
    measured = changes.get("egfr_measured_on", patient.egfr_measured_on)
    if (egfr is None) != (measured is None):
        raise ValidationFailed(_("An eGFR needs the date it was measured, and a date needs its eGFR."),
                               errors={"egfr_measured_on": [_("Give egfr and egfr_measured_on together.")]})
    if measured is not None and measured > today:
        raise ValidationFailed(_("The eGFR's date is in the future."),
                               errors={"egfr_measured_on": [_("Must not be after today.")]})
    alleles = [g["allele"].replace(":", "") for g in changes.get("genotypes") or ()]
    if len(alleles) != len(set(alleles)):
        raise ValidationFailed(_("An allele is listed twice."), errors={"genotypes": [_("One result per allele.")]})


def of_user(*, session: Session, user: User) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.user_id == user.id))
    if patient is None:
        raise NotFound(_("No patient profile for this account."))
    return patient


def profile(*, session: Session, patient: Patient) -> dict:
    user = session.get(User, patient.user_id)
    values = {name: getattr(patient, name) for name in PROFILE_FIELDS if name != "full_name"}
    return {"id": patient.id, "full_name": user.full_name, **values,
            "updated_at": patient.updated_at}


def update_profile(*, session: Session, user: User, changes: dict) -> Patient:
    patient = of_user(session=session, user=user)
    if "birth_date" in changes:
        _check_birth_date(changes["birth_date"])
    if changes.get("pregnant") and (changes.get("sex") or patient.sex) == "male":
        raise ValidationFailed(_("Pregnancy is set for a male patient."),
                               errors={"pregnant": [_("Inconsistent with sex.")]})
    _check_clinical_facts(patient, changes)
    changed = []
    for name, value in changes.items():
        if name == "full_name":
            if user.full_name != value:
                user.full_name = value
                changed.append(name)
        elif getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.updated_at = utcnow()
        # Field names only: the values are PHI and stay in the record itself.
        audit.record(session=session, actor_id=user.id, action=ConsultEvent.PATIENT_PROFILE_UPDATED,
                     subject_type="patient", subject_id=patient.id,
                     detail={"fields": sorted(changed)})
    return patient


def access_log(*, session: Session, user: User, limit: int | None, cursor: str | None) -> Page:
    """Who read (or tried to read) this patient's data, newest first: their accounting of disclosures."""
    patient = of_user(session=session, user=user)
    return audit.list_accesses(session=session, patient_id=patient.id, limit=limit, cursor=cursor)


def readable_by(*, session: Session, user: User):
    """read_record's rule as a condition on Patient, for searches: the patients `user` may read."""
    if user.role == "admin":
        return true()
    if user.role == "doctor":
        return Patient.id.in_(select(Consultation.patient_id).where(
            Consultation.doctor_id == user.id, Consultation.status == "in_progress"))
    if user.role == "pharmacist":
        return Patient.id.in_(select(Prescription.patient_id).where(
            Prescription.claimed_by == user.id, Prescription.status == "pending_review"))
    if user.role == "patient":
        return Patient.user_id == user.id
    return false()


def read_record(*, session: Session, user: User, patient_id: str) -> Patient:
    """Staff read a patient's record only while caring for them; every read is audited.

    A doctor must hold an in-progress consultation with the patient; a pharmacist must hold
    the claim on one of the patient's prescriptions under review; admins may always.
    """
    patient = session.get(Patient, patient_id)
    allowed = patient is not None and (
        user.role == "admin"
        or (user.role == "doctor" and session.scalar(select(Consultation.id).where(
            Consultation.patient_id == patient_id, Consultation.doctor_id == user.id,
            Consultation.status == "in_progress").limit(1)) is not None)
        or (user.role == "pharmacist" and session.scalar(select(Prescription.id).where(
            Prescription.patient_id == patient_id, Prescription.claimed_by == user.id,
            Prescription.status == "pending_review").limit(1)) is not None)
        or (user.role == "patient" and patient.user_id == user.id)
    )
    if patient is not None:
        audit.record_read(session=session, reader=user, action=ConsultEvent.PATIENT_RECORD_READ,
                          subject_type="patient", subject_id=patient_id, patient_id=patient_id, refused=not allowed)
    if not allowed:
        raise NotFound(_("No such patient in your care."))
    return patient
