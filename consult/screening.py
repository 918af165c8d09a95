"""Safety screening of stored prescriptions: the patient's record and prescriptions, run through consult.safety.

Here the database meets the pure checks: the patient's row becomes PatientFacts, prescription
items become safety Items, and the patient's active medication profile (consult.profile) is read
alongside.
"""

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import safety
from consult.formulary import get_formulary
from consult.models import Patient, Prescription, PrescriptionItem
from consult.policy import get_policy
from consult.profile import active_medication_profile
from core.db import utcnow
from core.errors import DomainError


class SafetyCheckFailed(DomainError):
    slug = "safety-check-failed"


def items_of(*, session: Session, prescription: Prescription) -> list[PrescriptionItem]:
    """The prescription's items, in the order the doctor wrote them."""
    return list(session.scalars(select(PrescriptionItem)
                                .where(PrescriptionItem.prescription_id == prescription.id)
                                .order_by(PrescriptionItem.position)))


def patient_facts(patient: Patient) -> safety.PatientFacts:
    return safety.PatientFacts(
        birth_date=patient.birth_date, sex=patient.sex, pregnant=patient.pregnant,
        weight_kg=patient.weight_kg,
        allergies=tuple(safety.Allergy(substance=a["substance"], reaction=a.get("reaction"),
                                       severity=a.get("severity")) for a in patient.allergies),
        conditions=tuple((c["code"], c["display"]) for c in patient.conditions),
        current_medications=tuple(m.get("drug_id") or m.get("name") for m in patient.current_medications
                                  if m.get("drug_id") or m.get("name")),
        pregnancy_due_date=patient.pregnancy_due_date, egfr=patient.egfr, egfr_measured_on=patient.egfr_measured_on,
        ancestry=tuple(patient.ancestry or ()),
        genotypes=tuple((g["allele"], g["result"]) for g in patient.genotypes or ()),
    )


def safety_item(item) -> safety.Item:
    """A prescription item (stored or about to be) as the safety checks read it."""
    return safety.Item(drug_id=item.drug_id, dose=Decimal(str(item.dose)), dose_unit=item.dose_unit,
                       frequency_per_day=Decimal(str(item.frequency_per_day)), route=item.route,
                       days_supply=item.days_supply, quantity=item.quantity, refills=item.refills,
                       pack_size=item.pack_size if item.packs else None)


def check_safety(*, session: Session, patient: Patient, items, policy_name: str,
                 exclude_prescription_id: str | None = None) -> dict:
    """Findings for `items` against the patient's record and active medication profile."""
    today = utcnow().date()
    profile = active_medication_profile(session=session, patient_id=patient.id, today=today,
                                        exclude_prescription_id=exclude_prescription_id)
    findings = safety.check(
        formulary=get_formulary(), patient=replace(patient_facts(patient), current_medications=profile.reported),
        items=[safety_item(i) for i in items], active_items=profile.items,
        today=today, policy=get_policy(policy_name))
    return safety.split(findings)


def recheck(*, session: Session, prescription: Prescription) -> dict:
    """The checks again, on the patient's record as it is now (at signing, review and dispensing)."""
    patient = session.get(Patient, prescription.patient_id)
    items = items_of(session=session, prescription=prescription)
    return check_safety(session=session, patient=patient, items=items, policy_name=prescription.policy,
                        exclude_prescription_id=prescription.id)
