"""The patient's active medication profile: every medicine they take now or may soon take, for screening.

One function answers it, and every safety check (at signing, at the pharmacist's review and just
before dispensing) screens new items against its answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import safety
from consult.models import Patient, Prescription, PrescriptionItem, PrescriptionUse

# Prescriptions the patient may soon take, dispensed or not: every item of them is on the profile.
PENDING_OR_APPROVED = ("pending_review", "approved")
# Units handed over (dispensed) or held for a purchase on its way (reserved) are in the patient's hands.
TAKEN_USES = ("dispensed", "reserved")
# A dispensed supply stays on the profile this many days after it should have run out: missed
# doses and a late refill leave tablets in the cupboard, and a drug's effect (an MAOI's, say)
# outlasts the last tablet. Screening errs towards seeing a finished course, not missing a live one.
GRACE_DAYS = 7


@dataclass(frozen=True)
class Supply:
    """Units handed over on one day (a dispensed or reserved use)."""

    on: date
    quantity: int


@dataclass(frozen=True)
class MedicationProfile:
    """Prescribed items (as the safety checks read them) and the medicines the patient reports."""

    items: tuple[safety.Item, ...]
    reported: tuple[str, ...]


def supply_runs_out(supplies: Iterable[Supply], *, quantity: int, days_supply: int) -> date | None:
    """The first day without medicine: each supply lasts its share of the item's days supply and
    starts when the one before runs out (units bought early are taken after the earlier ones)."""
    runs_out = None
    for supply in sorted(supplies, key=lambda s: s.on):
        days = math.ceil(Decimal(days_supply) * supply.quantity / max(quantity, 1))
        start = supply.on if runs_out is None else max(supply.on, runs_out)
        runs_out = start + timedelta(days=days)
    return runs_out


def on_profile(runs_out: date | None, today: date) -> bool:
    """Does a supply that runs out on `runs_out` still count today (the grace period included)?"""
    return runs_out is not None and today < runs_out + timedelta(days=GRACE_DAYS)


def active_medication_profile(*, session: Session, patient_id: str, today: date,
                              exclude_prescription_id: str | None = None) -> MedicationProfile:
    """Every item of the patient's pending or approved prescriptions, every dispensed or reserved
    item whose supply (plus GRACE_DAYS) has not run out, and the medicines the patient reports.

    `exclude_prescription_id` leaves out the prescription being screened, so it is not checked
    against itself.
    """
    def others(stmt):
        return stmt if exclude_prescription_id is None else stmt.where(Prescription.id != exclude_prescription_id)

    pending = session.scalars(others(
        select(PrescriptionItem).join(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status.in_(PENDING_OR_APPROVED))
        .order_by(Prescription.created_at, Prescription.id, PrescriptionItem.position)))
    items = {item.id: _as_safety_item(item) for item in pending}

    supplies: dict[str, list[Supply]] = {}
    rows: dict[str, PrescriptionItem] = {}
    for use, item in session.execute(others(
            select(PrescriptionUse, PrescriptionItem)
            .join(PrescriptionItem, PrescriptionUse.item_id == PrescriptionItem.id)
            .join(Prescription, PrescriptionItem.prescription_id == Prescription.id)
            .where(Prescription.patient_id == patient_id, PrescriptionUse.status.in_(TAKEN_USES))
            .order_by(PrescriptionUse.created_at, PrescriptionUse.id))):
        handed_over = use.closed_at if use.status == "dispensed" and use.closed_at else use.created_at
        supplies.setdefault(item.id, []).append(Supply(handed_over.date(), use.quantity))
        rows[item.id] = item
    for item_id, item in rows.items():
        runs_out = supply_runs_out(supplies[item_id], quantity=item.quantity, days_supply=item.days_supply)
        if item_id not in items and on_profile(runs_out, today):
            items[item_id] = _as_safety_item(item, supply_until=runs_out - timedelta(days=1))

    patient = session.get(Patient, patient_id)
    reported = tuple(m.get("drug_id") or m.get("name") for m in (patient.current_medications if patient else [])
                     if m.get("drug_id") or m.get("name"))
    return MedicationProfile(items=tuple(items.values()), reported=reported)


def _as_safety_item(item: PrescriptionItem, supply_until: date | None = None) -> safety.Item:
    return safety.Item(drug_id=item.drug_id, dose=Decimal(str(item.dose)), dose_unit=item.dose_unit,
                       frequency_per_day=Decimal(str(item.frequency_per_day)), route=item.route,
                       days_supply=item.days_supply, quantity=item.quantity, refills=item.refills,
                       supply_until=supply_until)
