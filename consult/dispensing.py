"""What the shop may ask of prescriptions, and the facts it reports back.

The dispensing interface: reserve units of an approved prescription for a purchase
(`authorize_use`), give them back (`release`), record that they were dispensed
(`record_dispense`), and re-check safety just before dispensing. Every quantity change is a
conditional UPDATE, so however many purchases race, a prescription never covers more units
than it allows.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, or_, select, update
from sqlalchemy.orm import Session

from consult.models import Consultation, Prescription, PrescriptionItem, PrescriptionUse
from consult.prescriptions import LIFECYCLE, refuse_if_referred_offline
from consult.screening import SafetyCheckFailed, recheck
from core import audit
from core.db import closing_time, utcnow
from core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from consult.events import ConsultEvent
from core.i18n import _

__all__ = ["Authorization", "PrescriptionExhausted", "PrescriptionRequired", "SafetyCheckFailed",
           "authorize_use", "covers", "ensure_safe_to_dispense", "item_of_use", "record_dispense", "release"]


class PrescriptionRequired(DomainError):
    slug = "prescription-required"


class PrescriptionExhausted(DomainError):
    slug = "prescription-exhausted"


@dataclass(frozen=True)
class Authorization:
    """Units of one prescription item reserved for one purchase."""

    use_id: str
    prescription_id: str
    item_id: str
    drug_id: str
    quantity: int
    days_supply: int



def _not_referred_offline():
    """A prescription whose consultation was since referred offline (a red flag in a later message)
    covers no purchase: the patient is to be seen in person first."""
    return ~exists().where(Consultation.id == Prescription.consultation_id,
                           Consultation.status == "referred_offline")


def _usable(now: datetime):
    return select(Prescription.id).where(Prescription.status == "approved",
                                         Prescription.valid_until > now, _not_referred_offline())


def authorize_use(*, session: Session, patient_id: str, drug_id: str, quantity: int,
                  prescription_id: str | None = None, reference: str | None = None,
                  now: datetime | None = None) -> Authorization:
    """Reserve `quantity` units of `drug_id` under the patient's approved, unexpired prescription.

    Each step is a conditional UPDATE (`… WHERE quantity_remaining >= n`), so however many
    purchases race, a prescription never covers more units than it allows.
    """
    if quantity <= 0:
        raise ValidationFailed(_("Quantity must be positive."), errors={"quantity": [_("Must be positive.")]})
    now = now or utcnow()
    stmt = (select(PrescriptionItem, Prescription).join(Prescription)
            .where(Prescription.patient_id == patient_id, PrescriptionItem.drug_id == drug_id,
                   Prescription.status == "approved", Prescription.valid_until > now, _not_referred_offline())
            .order_by(Prescription.valid_until, PrescriptionItem.position))
    if prescription_id:
        stmt = stmt.where(Prescription.id == prescription_id)
    candidates = session.execute(stmt).all()
    if not candidates:
        raise PrescriptionRequired(_("No approved, unexpired prescription of yours covers this medicine."))
    for item, prescription in candidates:
        if _take(session, item.id, quantity, now):
            use = PrescriptionUse(prescription_id=prescription.id, item_id=item.id, quantity=quantity,
                                  status="reserved", reference=reference)
            session.add(use)
            session.flush()
            audit.record(session=session, actor_id=None, action=ConsultEvent.PRESCRIPTION_USE_RESERVED,
                         subject_type="prescription", subject_id=prescription.id,
                         detail={"use_id": use.id, "quantity": quantity, "reference": reference})
            return Authorization(use_id=use.id, prescription_id=prescription.id, item_id=item.id,
                                 drug_id=drug_id, quantity=quantity, days_supply=item.days_supply)
    left = sum(session.scalar(select(PrescriptionItem.quantity_remaining).where(PrescriptionItem.id == i.id))
               for i, _ in candidates)
    raise PrescriptionExhausted(_("Your prescription covers %(left)s more unit(s) in this fill, not %(quantity)s.",
                                  left=left, quantity=quantity),
                                units_remaining=left)


def _take(session: Session, item_id: str, n: int, now: datetime) -> bool:
    item = PrescriptionItem
    in_current_fill = session.execute(
        update(item).where(item.id == item_id, item.quantity_remaining >= n,
                           item.prescription_id.in_(_usable(now)))
        .values(quantity_remaining=item.quantity_remaining - n)
        .execution_options(synchronize_session=False))
    if in_current_fill.rowcount == 1:
        return True
    # Not enough left in this fill: open the next refill, carrying the remainder into it.
    with_refill = session.execute(
        update(item).where(item.id == item_id, item.quantity_remaining < n, item.refills_remaining >= 1,
                           item.quantity_remaining + item.quantity >= n,
                           item.prescription_id.in_(_usable(now)))
        .values(quantity_remaining=item.quantity_remaining + item.quantity - n,
                refills_remaining=item.refills_remaining - 1)
        .execution_options(synchronize_session=False))
    return with_refill.rowcount == 1


def record_dispense(*, session: Session, use_id: str, pharmacist_id: str,
                    now: datetime | None = None) -> None:
    """The shop dispensed a reserved use: it can no longer be released."""
    now = now or utcnow()
    use = session.get(PrescriptionUse, use_id)
    prescription = session.get(Prescription, use.prescription_id) if use else None
    if prescription is None:
        raise NotFound(_("No such prescription use."))
    if prescription.status != "approved" or prescription.valid_until <= now:
        raise InvalidTransition(_("The prescription is no longer valid for dispensing."),
                                current_status="expired" if prescription.status == "approved" else prescription.status)
    done = session.execute(update(PrescriptionUse)
                           .where(PrescriptionUse.id == use_id, PrescriptionUse.status == "reserved")
                           .values(status="dispensed", closed_at=now)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InvalidTransition(_("These units were already dispensed or released."))
    audit.record(session=session, actor_id=pharmacist_id, action=ConsultEvent.PRESCRIPTION_DISPENSED_UNITS,
                 subject_type="prescription", subject_id=prescription.id,
                 detail={"use_id": use_id, "quantity": use.quantity})
    nothing_left = not session.scalar(select(exists().where(
        PrescriptionItem.prescription_id == prescription.id,
        or_(PrescriptionItem.quantity_remaining > 0, PrescriptionItem.refills_remaining > 0))))
    still_reserved = session.scalar(select(exists().where(
        PrescriptionUse.prescription_id == prescription.id, PrescriptionUse.status == "reserved")))
    if nothing_left and not still_reserved:
        LIFECYCLE.advance(session, prescription, "dispensed", closed_at=closing_time(prescription, now))
        audit.record(session=session, actor_id=pharmacist_id, action=ConsultEvent.PRESCRIPTION_FULLY_DISPENSED,
                     subject_type="prescription", subject_id=prescription.id, detail={})


def release(*, session: Session, use_id: str, actor_id: str | None = None) -> bool:
    """Give reserved units back (a cancelled or expired order). Exactly once: False if already."""
    use = session.get(PrescriptionUse, use_id)
    if use is None:
        raise NotFound(_("No such prescription use."))
    done = session.execute(update(PrescriptionUse)
                           .where(PrescriptionUse.id == use_id, PrescriptionUse.status == "reserved")
                           .values(status="released", closed_at=utcnow())
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return False
    item = PrescriptionItem
    overflow = item.quantity_remaining + use.quantity > item.quantity
    # Units beyond one fill give a refill back, so a fill never holds more than `quantity`.
    session.execute(update(item).where(item.id == use.item_id).values(
        refills_remaining=item.refills_remaining + case((overflow, 1), else_=0),
        quantity_remaining=case((overflow, item.quantity_remaining + use.quantity - item.quantity),
                                else_=item.quantity_remaining + use.quantity))
        .execution_options(synchronize_session=False))
    audit.record(session=session, actor_id=actor_id, action=ConsultEvent.PRESCRIPTION_USE_RELEASED,
                 subject_type="prescription", subject_id=use.prescription_id,
                 detail={"use_id": use_id, "quantity": use.quantity})
    return True



def covers(*, session: Session, patient_id: str, drug_id: str, quantity: int,
           prescription_id: str | None = None, now: datetime | None = None) -> bool:
    """Would authorize_use succeed now? (A read for the cart; it reserves nothing.)"""
    now = now or utcnow()
    stmt = (select(PrescriptionItem).join(Prescription)
            .where(Prescription.patient_id == patient_id, PrescriptionItem.drug_id == drug_id,
                   Prescription.status == "approved", Prescription.valid_until > now, _not_referred_offline()))
    if prescription_id:
        stmt = stmt.where(Prescription.id == prescription_id)
    return any(item.quantity_remaining >= quantity
               or (item.refills_remaining >= 1 and item.quantity_remaining + item.quantity >= quantity)
               for item in session.scalars(stmt))


def ensure_safe_to_dispense(*, session: Session, prescription_id: str) -> dict:
    """The safety checks again, on the patient's record and active medication profile as they are now,
    just before dispensing: a consultation referred offline since approval refuses (InvalidTransition),
    and so do blocking findings (SafetyCheckFailed); otherwise the findings are returned."""
    prescription = session.get(Prescription, prescription_id)
    if prescription is None:
        raise NotFound(_("No such prescription."))
    refuse_if_referred_offline(session=session, prescription=prescription, target_status="dispensed")
    findings = recheck(session=session, prescription=prescription)
    if findings["blocking"]:
        raise SafetyCheckFailed(_("The patient's record now gives blocking findings: do not dispense."),
                                safety=findings, prescription_id=prescription_id)
    return findings


def item_of_use(*, session: Session, use_id: str) -> str | None:
    """The prescription item a purchase used (for FHIR's authorizingPrescription)."""
    use = session.get(PrescriptionUse, use_id)
    return use.item_id if use else None
