"""Dose checks over plain data: HD (the daily or weekly dose of each ingredient, totalled over the new
items and the active medication profile, against the limit that applies to this patient) and EX
(a quantity far beyond what the dose needs over the days supply). consult/safety.py runs them with
the other checks."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Sequence

from consult.formulary import Formulary, FormularyDrug, plain
from consult.policy import drug_name
from consult.safety_facts import (
    ADULT_YEARS,
    BLOCKING,
    QUANTITY_TOLERANCE,
    WARNING,
    WEEKLY_DOSES_TOO_MANY,
    Finding,
    Item,
    PatientFacts,
    as_decimal,
    ingredient_mg_per_day,
    mg_text,
    units_per_day,
)
from core.i18n import _

# What stands in for a limit that cannot be computed for this patient (see _limit_mg).
WEIGHT, CHILD_WEIGHT, CHILD_UNVERIFIABLE = "weight", "child-weight", "child-unverifiable"


def _limit_mg(adult, child, elderly, months: int | None, weight_kg: Decimal | None,
              adult_dose_from_years: int | None = None):
    """The limit that applies to this patient: (mg a day, what it is), or (kind, what it is) when it
    cannot be computed, or None when there is none.

    Kinds: WEIGHT (an adult per-kg limit, no weight), CHILD_WEIGHT (a child's per-kg limit, no weight),
    CHILD_UNVERIFIABLE (a child, and no limit for children). A child's dose is checked only against a
    child maximum (capped by the adult one), or against the adult maximum from the age the source gives
    children the adult dose: never against the adult maximum alone.
    """
    if adult is None:
        return None
    years = None if months is None else months // 12
    if years is not None and years < ADULT_YEARS and not (adult_dose_from_years and years >= adult_dose_from_years):
        if child is None:
            return (CHILD_UNVERIFIABLE, _("adult maximum %(limit)s", limit=adult))
        if child.per_kg and weight_kg is None:
            return (CHILD_WEIGHT, _("child maximum %(limit)s", limit=child))
        what = (_("child maximum %(limit)s for %(kg)s kg", limit=child, kg=plain(weight_kg)) if child.per_kg
                else _("child maximum %(limit)s", limit=child))
        limits = [(child.mg_per_day(weight_kg), what)]
        if not (adult.per_kg and weight_kg is None):
            limits.append((adult.mg_per_day(weight_kg), _("adult maximum %(limit)s", limit=adult)))
        return min(limits, key=lambda limit: limit[0])
    if adult.per_kg and weight_kg is None:
        return (WEIGHT, _("adult maximum %(limit)s", limit=adult))
    limits = [(adult.mg_per_day(weight_kg), _("adult maximum %(limit)s", limit=adult))]
    if elderly and years is not None and years >= elderly.from_age_years:
        limits.append((elderly.mg_per_day(), _("maximum from %(years)s years %(limit)s",
                                               years=elderly.from_age_years, limit=elderly)))
    return min(limits, key=lambda limit: limit[0])


def _amount(mg: Decimal, weekly: bool) -> str:
    return _("%(amount)s a week", amount=mg_text(mg * 7)) if weekly else _("%(amount)s a day", amount=mg_text(mg))


def _quantity(item: Item) -> str:
    """The quantity as the prescriber wrote it: units, or packs with their units."""
    if not item.pack_size:
        return str(item.quantity)
    packs = item.quantity // item.pack_size
    if packs == 1:
        return _("%(packs)s pack (%(units)s units)", packs=packs, units=item.quantity)
    return _("%(packs)s packs (%(units)s units)", packs=packs, units=item.quantity)


def _schedule_and_quantity(formulary: Formulary, drug: FormularyDrug, item: Item, source: str) -> list[Finding]:
    findings = []
    limit = drug.max_daily_dose_adult
    weekly_doses = as_decimal(item.frequency_per_day) * 7
    if limit is not None and limit.period == "week" and weekly_doses >= WEEKLY_DOSES_TOO_MANY:
        if as_decimal(item.frequency_per_day) >= 1:
            findings.append(Finding("HD", WARNING, (drug.id,),
                                    _("%(drug)s is dosed once WEEKLY; this item gives it every day. "
                                      "Daily dosing in error has caused fatal toxicity.", drug=drug_name(drug)),
                                    "HD.weekly-drug-dosed-daily", source))
        else:
            findings.append(Finding("HD", WARNING, (drug.id,),
                                    _("%(drug)s is dosed once WEEKLY; this item gives it %(times)s times a week "
                                      "(every other day or twice weekly in error has caused fatal toxicity).",
                                      drug=drug_name(drug), times=plain(weekly_doses.quantize(Decimal("0.1")))),
                                    "HD.weekly-drug-dosed-too-often", source))
    units = units_per_day(drug, item)
    if units is not None and units > 0:
        needed = math.ceil(units * item.days_supply)
        if item.quantity > QUANTITY_TOLERANCE * needed:
            findings.append(Finding("EX", WARNING, (drug.id,),
                                    _("%(drug)s: a quantity of %(quantity)s is far beyond the %(needed)s the dose "
                                      "needs over %(days)s days; correct the quantity or the days supply.",
                                      drug=drug_name(drug), quantity=_quantity(item), needed=needed,
                                      days=item.days_supply), "EX.quantity-beyond-days-supply",
                                    f"drugs.yaml {formulary.version} #{drug.id}: strength {drug.strength}"))
    return findings


def dose_findings(formulary: Formulary, patient: PatientFacts, items: Sequence[Item], active_items: Sequence[Item],
           months: int | None):
    weight = None if patient.weight_kg in (None, 0) else as_decimal(patient.weight_kg)
    findings = []
    totals: dict[str, Decimal] = {}  # ingredient → mg a day over the new items and the profile
    on_profile: dict[str, Decimal] = {}
    new_by_ingredient: dict[str, list[FormularyDrug]] = {}  # in the order the items name them
    for item in items:
        drug = formulary.drugs[item.drug_id]
        source = f"drugs.yaml {formulary.version} #{drug.id}: {drug.source('dose')}"
        findings += _schedule_and_quantity(formulary, drug, item, source)
        amounts = ingredient_mg_per_day(drug, item)
        if amounts is None:
            findings.append(Finding("HD", WARNING, (drug.id,),
                                    _("%(drug)s: a dose in '%(unit)s' cannot be checked against the maximum for "
                                      "%(strength)s %(form)s; prescribe in mg or units of the form.",
                                      drug=drug_name(drug), unit=item.dose_unit, strength=drug.strength,
                                      form=drug.form), "HD.unit-not-checkable", source))
            continue
        for ingredient, mg in amounts.items():
            totals[ingredient] = totals.get(ingredient, Decimal(0)) + mg
            holders = new_by_ingredient.setdefault(ingredient, [])
            if drug not in holders:
                holders.append(drug)
    for item in active_items:
        drug = formulary.drugs.get(item.drug_id)
        amounts = ingredient_mg_per_day(drug, item) if drug else None
        for ingredient, mg in (amounts or {}).items():
            if ingredient in new_by_ingredient:
                totals[ingredient] += mg
                on_profile[ingredient] = on_profile.get(ingredient, Decimal(0)) + mg
    for ingredient, drugs in new_by_ingredient.items():
        findings += _ingredient_dose(formulary, ingredient, drugs, totals[ingredient], on_profile.get(ingredient),
                                     months, weight)
    return findings


def _ingredient_dose(formulary, ingredient, drugs, total, from_profile, months, weight):
    """The total of one ingredient against the strictest limit that applies: those of the new products
    naming it first (their own limit is of that ingredient) and the ingredient's own limits."""
    candidates = []  # (limit or a kind, what, weekly, source)
    for drug in drugs:
        if drug.ingredients[0] != ingredient:
            continue
        limit = _limit_mg(drug.max_daily_dose_adult, drug.max_daily_dose_child, drug.max_daily_dose_elderly,
                          months, weight, drug.adult_dose_from_years)
        if limit is not None:
            candidates.append((*limit, drug.max_daily_dose_adult.period == "week",
                               f"drugs.yaml {formulary.version} #{drug.id}: {drug.source('dose')}"))
    own = formulary.ingredient_limits.get(ingredient)
    if own is not None:
        ages = [d.adult_dose_from_years for d in drugs]
        limit = _limit_mg(own.adult, own.child, None, months, weight, None if None in ages else max(ages))
        if limit is not None:
            candidates.append((*limit, own.adult.period == "week",
                               f"drugs.yaml {formulary.version} ingredient_limits #{ingredient}: {own.source}"))
    ids = tuple(d.id for d in drugs)
    name = _name(ingredient, drugs)
    findings = []
    kinds = {c[0]: c for c in reversed(candidates) if isinstance(c[0], str)}  # the first of each kind
    numeric = [c for c in candidates if not isinstance(c[0], str)]
    if WEIGHT in kinds:
        _kind, what, _weekly, source = kinds[WEIGHT]
        findings.append(Finding("HD", WARNING, ids,
                                _("%(name)s: the %(what)s depends on body weight, which is not recorded; record "
                                  "the weight to check the dose.", name=name, what=what), "HD.weight-needed", source))
    if CHILD_WEIGHT in kinds:
        _kind, what, _weekly, source = kinds[CHILD_WEIGHT]
        findings.append(Finding("HD", BLOCKING, ids,
                                _("%(name)s: cannot verify the dose for a child: the %(what)s depends on body "
                                  "weight, which is not recorded, and the adult maximum does not apply to children. "
                                  "Record the weight.", name=name, what=what), "HD.child-weight-needed", source))
    elif CHILD_UNVERIFIABLE in kinds and not numeric:
        *_unused, source = kinds[CHILD_UNVERIFIABLE]
        findings.append(Finding("HD", BLOCKING, ids,
                                _("%(name)s: cannot verify the dose for a child: its sources give no child maximum "
                                  "for this age, and the adult maximum does not apply to children.", name=name),
                                "HD.child-dose-unverifiable", source))
    if numeric:
        limit, what, weekly, source = min(numeric, key=lambda c: c[0])
        if total > limit:
            profile = (_(", %(amount)s of it from the active medication profile", amount=_amount(from_profile, weekly))
                       if from_profile else "")
            findings.append(Finding("HD", WARNING, ids,
                                    _("%(name)s: %(total)s%(profile)s is above the %(what)s (%(limit)s).",
                                      name=name, total=_amount(total, weekly), profile=profile, what=what,
                                      limit=_amount(limit, weekly)), "HD.above-maximum", source))
    return findings


def _name(ingredient: str, drugs: Sequence[FormularyDrug]) -> str:
    """How a dose message names an ingredient: the drug's name when it is the drug's only ingredient."""
    if len(drugs) == 1 and drugs[0].ingredients == (ingredient,):
        return drug_name(drugs[0])
    return ingredient
