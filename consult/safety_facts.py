"""What the safety checks take and give: the patient's facts, the items, the findings, and the
dose arithmetic both the dose and the patient-record rules use. Plain data; no DB, no Flask."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable

from consult.formulary import FormularyDrug, plain

BLOCKING, WARNING = "blocking", "warning"
CODES = ("DD", "AT", "DA", "PG", "PA", "DC", "DL", "TN", "HD", "EX", "TD", "MX")  # the order findings are listed in
ADULT_YEARS = 18
# Pregnancy cannot be excluded for a patient who is not male, aged 12–55, whose status is unknown.
CHILDBEARING_YEARS = (12, 55)
# A quantity more than this many times what the dose needs over the days supply is flagged (EX):
# room for a pack size and as-needed doses, not for a second supply nobody asked for.
QUANTITY_TOLERANCE = 2
# A weekly drug given this many times a week or more is not weekly: twice a week, every other day,
# daily. (1.5, not 1: a frequency of 1/7 stored to two decimals reads 0.98–1.05 times a week.)
WEEKLY_DOSES_TOO_MANY = Decimal("1.5")
# Naegele: the expected delivery date is 280 days (40 weeks) after the first day of the last period.
PREGNANCY_DAYS = 280
# A gestational age beyond this many weeks means the expected delivery date on record is out of date.
LATEST_GESTATIONAL_WEEK = 44
# An eGFR older than this no longer describes the kidneys: the metformin label asks for one at least
# annually (FDA Glucophage 2.3), and so does KDIGO 2012 for stable CKD.
EGFR_VALID_DAYS = 365


@dataclass(frozen=True)
class Allergy:
    substance: str
    reaction: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class PatientFacts:
    birth_date: date | None
    sex: str | None  # female, male, other, unknown
    pregnant: bool | None
    weight_kg: float | Decimal | None
    allergies: tuple[Allergy, ...] = ()
    conditions: tuple[tuple[str, str], ...] = ()  # (ICD-10 code, display)
    current_medications: tuple[str, ...] = ()  # drug ids or the patient's own words
    pregnancy_due_date: date | None = None  # the expected delivery date, when pregnant
    egfr: int | None = None  # mL/min/1.73 m²
    egfr_measured_on: date | None = None
    ancestry: tuple[str, ...] = ()  # consult.formulary.loading.ANCESTRIES; empty when not recorded
    genotypes: tuple[tuple[str, str], ...] = ()  # (allele, "positive" or "negative")


@dataclass(frozen=True)
class Item:
    drug_id: str
    dose: Decimal | float
    dose_unit: str  # mg, g, mcg, tablet, capsule, mL, puff, …
    frequency_per_day: Decimal | float
    route: str
    days_supply: int
    quantity: int
    refills: int = 0
    supply_until: date | None = None  # a dispensed supply on the profile: its last day
    pack_size: int | None = None  # written in packs of a product: the units in one (findings speak in packs)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    drugs: tuple[str, ...]
    message: str
    rule: str
    source: str

    def to_dict(self) -> dict:
        return {**asdict(self), "drugs": list(self.drugs)}


@dataclass(frozen=True)
class Medicine:
    """A drug the new items are checked against: a new item, another active prescription, or a
    medication the patient reports (dose unknown)."""

    drug: FormularyDrug
    origin: str  # new, active, current
    label: str  # how messages name it
    mg_per_day: dict[str, Decimal] | None  # of each ingredient; None when the dose is unknown


def age_in_months(birth_date: date | None, today: date) -> int | None:
    """Completed months of age (None if the birth date is unknown)."""
    if birth_date is None:
        return None
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month
    return months - (1 if today.day < birth_date.day else 0)


def daily_dose_mg(drug: FormularyDrug, item: Item) -> Decimal | None:
    """dose × frequency in mg (tablets, puffs and mL through the strength); None if the unit cannot be converted."""
    per_unit = drug.mg_per(item.dose_unit)
    if per_unit is None:
        return None
    return as_decimal(item.dose) * per_unit * as_decimal(item.frequency_per_day)


def ingredient_mg_per_day(drug: FormularyDrug, item: Item) -> dict[str, Decimal] | None:
    """mg a day of each ingredient (a dose in mg of a combination is of its first-named ingredient)."""
    first = daily_dose_mg(drug, item)
    if first is None:
        return None
    return {ingredient: first if n == 0 else first * amount / drug.amounts[0]
            for n, (ingredient, amount) in enumerate(zip(drug.ingredients, drug.amounts))}


def units_per_day(drug: FormularyDrug, item: Item) -> Decimal | None:
    """Tablets, capsules, puffs or mL of the product a day; None if the dose unit cannot be converted."""
    units = drug.units_per(item.dose_unit)
    return None if units is None else as_decimal(item.dose) * units * as_decimal(item.frequency_per_day)


def as_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def mg_text(amount: Decimal) -> str:
    return f"{plain(amount.quantize(Decimal('0.001')))} mg"


def distinct(medicines: Iterable[Medicine]) -> list[Medicine]:
    seen, distinct = set(), []
    for medicine in medicines:
        if medicine.drug.id not in seen:
            seen.add(medicine.drug.id)
            distinct.append(medicine)
    return distinct
