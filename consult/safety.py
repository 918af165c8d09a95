"""Prescription safety checks (NCPDP DUR codes) over plain data: deterministic findings, no DB, no Flask.

DD drug–drug interaction · AT additive toxicity (multi-drug patterns over the whole profile) ·
DA drug–allergy · TD therapeutic duplication · HD high dose (per ingredient, over the new items and
the active medication profile) · EX excessive quantity · PG pregnancy (by gestational week;
teratogens when status is unknown) · PA patient age (minimum ages; AGS Beers Criteria from 65) ·
DC drug–disease (recorded conditions, eGFR) · DL drug–lab conflict (a known risk genotype) ·
TN laboratory test needed (eGFR, HLA genotype) · MX duration beyond the jurisdiction's limit.
A blocking finding
stops signing; a warning needs the prescriber's written reason. Every finding names the rule
that raised it and the data source behind it, and never the patient.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Sequence

from consult.formulary import Formulary, FormularyDrug, Interaction, plain
from consult.formulary.loading import same_therapy
from consult.formulary.matching import is_negated_allergy
from consult.patient_rules import (
    age_findings,
    condition_findings,
    genotype_findings,
    pregnancy_findings,
    renal_findings,
)
from consult.policy import Policy, days_supply_rules, drug_name
from consult.safety_facts import (
    ADULT_YEARS,
    BLOCKING,
    CODES,
    QUANTITY_TOLERANCE,
    WARNING,
    WEEKLY_DOSES_TOO_MANY,
    WEIGHT_REQUIRED_UNDER_YEARS,
    Allergy,
    Finding,
    Item,
    Medicine,
    PatientFacts,
    age_in_months,
    as_decimal,
    distinct,
    ingredient_mg_per_day,
    mg_text,
    units_per_day,
)
from core.i18n import N_, _

# ---- DD: drug–drug interactions ---------------------------------------------------------

def _interaction_severity(rule: Interaction, a: Medicine, b: Medicine) -> str | None:
    condition = rule.dose_condition
    if condition is None:
        return rule.severity
    holder = a if condition.ingredient in a.drug.ingredients else b
    mg = None if holder.mg_per_day is None else holder.mg_per_day.get(condition.ingredient)
    if mg is not None and mg <= condition.above.mg_per_day():
        return condition.otherwise
    return rule.severity  # above the threshold, or the dose is not known


# An interaction's severity as a message says it (the code, interactions.yaml's word, stays as it is).
_SEVERITY_WORDS = {"contraindicated": N_("contraindicated"), "major": N_("major"), "moderate": N_("moderate")}


def _severity(severity: str) -> str:
    return _(_SEVERITY_WORDS[severity]) if severity in _SEVERITY_WORDS else severity


def _interactions(formulary: Formulary, new: list[Medicine], others: list[Medicine]) -> list[Finding]:
    findings, seen = [], set()
    for i, a in enumerate(new):
        for b in new[i + 1:] + others:
            for rule in formulary.interactions_between(a.drug.id, b.drug.id):
                severity = _interaction_severity(rule, a, b)
                if severity is None or (rule.id, a.drug.id, b.drug.id) in seen:
                    continue  # one finding per rule and pair, however many times the other drug is listed
                seen.add((rule.id, a.drug.id, b.drug.id))
                findings.append(Finding(
                    "DD", BLOCKING if severity == "contraindicated" else WARNING, (a.drug.id, b.drug.id),
                    _("%(a)s + %(b)s: %(severity)s interaction. %(effect)s %(management)s", a=a.label, b=b.label,
                      severity=_severity(severity), effect=rule.effect, management=rule.management),
                    "DD.interaction-table", f"interactions.yaml {formulary.version} #{rule.id}: {rule.source}"))
    return findings


# ---- DA: drug–allergy ----------------------------------------------------------------------

def _allergy_finding(formulary: Formulary, drug: FormularyDrug, allergy: Allergy) -> Finding | None:
    match = formulary.match_allergy(allergy.substance)
    if not match:
        return None  # a substance the terms do not know (food, latex…): nothing to check against
    if allergy.reaction:
        named = _("Documented allergy to %(substance)s (%(reaction)s)", substance=allergy.substance.strip(),
                  reaction=allergy.reaction)
    else:
        named = _("Documented allergy to %(substance)s", substance=allergy.substance.strip())
    common = sorted(set(drug.ingredients) & match.ingredients)
    if common:
        return Finding("DA", BLOCKING, (drug.id,), _("%(named)s: %(drug)s contains %(common)s.", named=named, drug=drug_name(drug),
                                                          common=", ".join(common)),
                       "DA.ingredient", f"drugs.yaml {formulary.version} #{drug.id}: ingredients")
    groups = match.groups | formulary.groups_of_ingredients(match.ingredients)
    same = [formulary.allergy_groups[g] for g in sorted(groups & set(drug.allergy_groups))]
    if same:
        group = min(same, key=lambda g: g.member_severity != BLOCKING)
        return Finding("DA", group.member_severity, (drug.id,),
                       _("%(named)s: %(drug)s belongs to the same group (%(group)s).", named=named,
                         drug=drug_name(drug), group=group.label),
                       "DA.group", f"allergy_terms.yaml {formulary.version} #{group.id}: {group.source}")
    crosses = [(formulary.allergy_groups[g], c) for g in sorted(groups)
               for c in formulary.allergy_groups[g].cross_reactivity if c.group in drug.allergy_groups]
    severe = (allergy.severity == "severe"
              or formulary.is_severe_reaction(f"{allergy.substance} {allergy.reaction or ''}"))
    shared = [c for c in formulary.side_chains_of_allergy(match) if c.ingredients & set(drug.ingredients)]
    if crosses and severe and shared:
        return Finding("DA", BLOCKING, (drug.id,),
                       _("%(named)s, a severe reaction: %(drug)s shares %(side_chain)s; do not give "
                         "it (choose a beta-lactam with a dissimilar side chain, or an allergist's assessment).",
                         named=named, drug=drug_name(drug), side_chain=shared[0].label),
                       "DA.side-chain", f"allergy_terms.yaml {formulary.version} #{shared[0].id}: {shared[0].source}")
    if crosses:
        group, cross = min(crosses, key=lambda gc: gc[1].severity != BLOCKING)
        target = formulary.allergy_groups[cross.group].label
        return Finding("DA", cross.severity, (drug.id,),
                       _("%(named)s: %(drug)s (%(target)s) may cross-react with %(group)s. %(note)s", named=named,
                         drug=drug_name(drug), target=target, group=group.label, note=cross.note),
                       "DA.group-cross-reactivity",
                       f"allergy_terms.yaml {formulary.version} #{group.id}: {cross.source}")
    return None


def _allergies(formulary: Formulary, patient: PatientFacts, new: list[Medicine]) -> list[Finding]:
    allergies = [a if isinstance(a, Allergy) else Allergy(str(a)) for a in patient.allergies]
    allergies = [a for a in allergies if (a.substance or "").strip() and not is_negated_allergy(a.substance)]
    findings = []
    for allergy in allergies:
        if not formulary.match_allergy(allergy.substance) and not formulary.is_non_drug_allergen(allergy.substance):
            drugs = distinct(new)
            findings.append(Finding(
                "DA", WARNING, tuple(m.drug.id for m in drugs),
                _("Cannot match the recorded allergy '%(substance)s' to any drug or class the "
                  "formulary knows: check it against %(drugs)s by hand.", substance=allergy.substance.strip(),
                  drugs=", ".join(m.drug.generic_name for m in drugs)),
                "DA.unmatched-allergy", f"allergy_terms.yaml {formulary.version}: terms, side chains and not_drugs"))
    for medicine in distinct(new):
        for allergy in allergies:
            finding = _allergy_finding(formulary, medicine.drug, allergy)
            if finding:
                findings.append(finding)
    return findings




# ---- AT: multi-drug patterns -------------------------------------------------------------------

def _patterns(formulary: Formulary, new: list[Medicine], others: list[Medicine]) -> list[Finding]:
    """Patterns over the new items and the whole profile; only those that take in a new item."""
    medicines, seen = [], set()
    for medicine in new + others:  # one per ingredient set: two strengths of one drug count once
        key = frozenset(medicine.drug.ingredients)
        if key not in seen:
            seen.add(key)
            medicines.append(medicine)
    new_ids = {m.drug.id for m in new}
    findings = []
    for pattern in formulary.patterns:
        if pattern.all_of:
            groups = [[m for m in medicines if m.drug.id in group] for group in pattern.all_of]
            if not all(groups):
                continue
            members = list({m.drug.id: m for group in groups for m in group}.values())
            what = ""
        elif pattern.score:
            members = [m for m in medicines if m.drug.anticholinergic_burden]
            total = sum(m.drug.anticholinergic_burden for m in members)
            if len(members) < 2 or total < pattern.at_least:
                continue  # one drug's own effects are its label's business, not a pattern
            what = _(" (total score %(total)s)", total=total)
        else:
            members = [m for m in medicines if m.drug.id in pattern.count_of]
            if len(members) < pattern.at_least or (pattern.including and not any(
                    m.drug.id in pattern.including for m in members)):
                continue
            if len(members) == 2 and (formulary.interactions_between(members[0].drug.id, members[1].drug.id)
                                      or same_therapy(members[0].drug, members[1].drug)):
                continue  # the pair is flagged already (DD or TD)
            what = _(" (%(n)s drugs)", n=len(members))
        if not new_ids & {m.drug.id for m in members}:
            continue
        findings.append(Finding("AT", pattern.severity, tuple(m.drug.id for m in members),
                                _("%(pattern)s%(what)s: %(members)s. %(effect)s %(management)s",
                                  pattern=pattern.label, what=what, members=", ".join(m.label for m in members),
                                  effect=pattern.effect, management=pattern.management), "AT.pattern-table",
                                f"interactions.yaml {formulary.version} patterns #{pattern.id}: {pattern.source}"))
    return findings


# ---- HD: daily dose, per ingredient ------------------------------------------------------

def _limit_mg(adult, child, elderly, months: int | None, weight_kg: Decimal | None):
    """(mg a day, what it is) for this patient, ("weight", …) when a weight is needed, or None."""
    if adult is None:
        return None
    years = None if months is None else months // 12
    limits = [(adult.mg_per_day(weight_kg), _("adult maximum %(limit)s", limit=adult))]
    if adult.per_kg and weight_kg is None:
        return ("weight", _("adult maximum %(limit)s", limit=adult))
    if elderly and years is not None and years >= elderly.from_age_years:
        limits.append((elderly.mg_per_day(), _("maximum from %(years)s years %(limit)s",
                                               years=elderly.from_age_years, limit=elderly)))
    if child and years is not None and years < ADULT_YEARS:
        if child.per_kg and weight_kg is None:
            if years < WEIGHT_REQUIRED_UNDER_YEARS:
                return ("weight", _("child maximum %(limit)s", limit=child))
        else:
            if child.per_kg:
                what = _("child maximum %(limit)s for %(kg)s kg", limit=child, kg=plain(weight_kg))
            else:
                what = _("child maximum %(limit)s", limit=child)
            limits.append((child.mg_per_day(weight_kg), what))
    return min(limits, key=lambda limit: limit[0])


def _child_unverifiable(drug: FormularyDrug, months: int | None) -> bool:
    """A child's dose of a drug whose sources give no child maximum and no minimum age: the adult
    maximum says nothing about a child, so the dose cannot be checked."""
    return (months is not None and months // 12 < ADULT_YEARS and drug.max_daily_dose_adult is not None
            and drug.max_daily_dose_child is None and drug.min_age is None)


def _amount(mg: Decimal, weekly: bool) -> str:
    return _("%(amount)s a week", amount=mg_text(mg * 7)) if weekly else _("%(amount)s a day", amount=mg_text(mg))


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
                                      drug=drug_name(drug), quantity=item.quantity, needed=needed,
                                      days=item.days_supply), "EX.quantity-beyond-days-supply",
                                    f"drugs.yaml {formulary.version} #{drug.id}: strength {drug.strength}"))
    return findings


def _doses(formulary: Formulary, patient: PatientFacts, items: Sequence[Item], active_items: Sequence[Item],
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
    unverifiable = set()
    for drugs in new_by_ingredient.values():
        for drug in drugs:
            if _child_unverifiable(drug, months) and drug.id not in unverifiable:
                unverifiable.add(drug.id)
                findings.append(Finding(
                    "HD", BLOCKING, (drug.id,),
                    _("%(drug)s: cannot verify the dose for a child: its sources give no child maximum "
                      "and no minimum age, and the adult maximum does not apply to children.", drug=drug_name(drug)),
                    "HD.child-dose-unverifiable", f"drugs.yaml {formulary.version} #{drug.id}: {drug.source('dose')}"))
    for ingredient, drugs in new_by_ingredient.items():
        findings += _ingredient_dose(formulary, ingredient, drugs, totals[ingredient], on_profile.get(ingredient),
                                     months, weight, unverifiable)
    return findings


def _ingredient_dose(formulary, ingredient, drugs, total, from_profile, months, weight, unverifiable):
    """The total of one ingredient against the strictest limit that applies: those of the new products
    naming it first (their own limit is of that ingredient) and the ingredient's own limits."""
    candidates = []  # (limit or "weight", what, weekly, source)
    for drug in drugs:
        if drug.ingredients[0] != ingredient or drug.id in unverifiable:
            continue
        limit = _limit_mg(drug.max_daily_dose_adult, drug.max_daily_dose_child, drug.max_daily_dose_elderly,
                          months, weight)
        if limit is not None:
            candidates.append((*limit, drug.max_daily_dose_adult.period == "week",
                               f"drugs.yaml {formulary.version} #{drug.id}: {drug.source('dose')}"))
    own = formulary.ingredient_limits.get(ingredient)
    if own is not None:
        limit = _limit_mg(own.adult, own.child, None, months, weight)
        if limit is not None:
            candidates.append((*limit, own.adult.period == "week",
                               f"drugs.yaml {formulary.version} ingredient_limits #{ingredient}: {own.source}"))
    ids = tuple(d.id for d in drugs)
    findings = []
    needs_weight = [c for c in candidates if c[0] == "weight"]
    if needs_weight:
        _limit, what, _weekly, source = needs_weight[0]
        findings.append(Finding("HD", WARNING, ids,
                                _("%(name)s: the %(what)s depends on body weight, which is not recorded; record "
                                  "the weight to check the dose.", name=_name(ingredient, drugs), what=what),
                                "HD.weight-needed", source))
    numeric = [c for c in candidates if c[0] != "weight"]
    if numeric:
        limit, what, weekly, source = min(numeric, key=lambda c: c[0])
        if total > limit:
            profile = (_(", %(amount)s of it from the active medication profile",
                         amount=_amount(from_profile, weekly)) if from_profile else "")
            findings.append(Finding("HD", WARNING, ids,
                                    _("%(name)s: %(total)s%(profile)s is above the %(what)s (%(limit)s).",
                                      name=_name(ingredient, drugs), total=_amount(total, weekly), profile=profile,
                                      what=what, limit=_amount(limit, weekly)), "HD.above-maximum", source))
    return findings


def _name(ingredient: str, drugs: Sequence[FormularyDrug]) -> str:
    """How a dose message names an ingredient: the drug's name when it is the drug's only ingredient."""
    if len(drugs) == 1 and drugs[0].ingredients == (ingredient,):
        return drugs[0].generic_name
    return ingredient


# ---- TD: therapeutic duplication ---------------------------------------------------------

def _duplications(formulary: Formulary, new: list[Medicine], others: list[Medicine]) -> list[Finding]:
    findings, seen = [], set()
    for i, a in enumerate(new):
        for b in new[i + 1:] + others:
            shared = sorted(set(a.drug.ingredients) & set(b.drug.ingredients))
            if shared:
                rule, what = "TD.same-ingredient", _("both contain %(shared)s", shared=", ".join(shared))
                source = f"drugs.yaml {formulary.version}: ingredients"
            elif a.drug.therapeutic_class == b.drug.therapeutic_class:
                rule, what = "TD.same-class", _("both are %(class)s", **{"class": a.drug.therapeutic_class})
                source = f"drugs.yaml {formulary.version}: therapeutic_class {a.drug.therapeutic_class}"
            else:
                continue
            key = (rule, a.drug.id, b.label)
            if key in seen:
                continue
            seen.add(key)
            advice = {"new": _("Prescribe one of them."),
                      "active": _("The other is on an active prescription: cancel it or state why both are needed."),
                      "current": _("The patient reports taking it: make sure this replaces it rather than adds "
                                   "to it.")}
            findings.append(Finding("TD", WARNING, (a.drug.id, b.drug.id),
                                    _("%(a)s and %(b)s duplicate therapy (%(what)s). %(advice)s", a=a.label,
                                      b=b.label, what=what, advice=advice[b.origin]),
                                    rule, source))
    return findings


# ---- MX: duration ------------------------------------------------------------------------

def _durations(formulary: Formulary, policy: Policy, items: Sequence[Item]) -> list[Finding]:
    standard, maximum = days_supply_rules(policy)
    findings = []
    for item in items:
        drug = formulary.drugs[item.drug_id]
        if item.days_supply > policy.maximum_days_supply:
            findings.append(Finding("MX", BLOCKING, (drug.id,),
                                    _("%(drug)s: %(days)s days' supply is beyond the absolute maximum of "
                                      "%(maximum)s days.", drug=drug_name(drug), days=item.days_supply,
                                      maximum=policy.maximum_days_supply), "MX.absolute-maximum",
                                    f"{maximum.id}: {maximum.citation}"))
        elif item.days_supply > policy.standard_days_supply:
            findings.append(Finding("MX", WARNING, (drug.id,),
                                    _("%(drug)s: %(days)s days' supply is beyond the standard limit of "
                                      "%(standard)s days; state the reason (e.g. a stable chronic condition).",
                                      drug=drug_name(drug), days=item.days_supply,
                                      standard=policy.standard_days_supply),
                                    "MX.standard-limit", f"{standard.id}: {standard.citation}"))
    return findings


# ---- the check ---------------------------------------------------------------------------

def _current(formulary: Formulary, names: Sequence[str]) -> tuple[list[Medicine], list[str]]:
    """The reported medicines the formulary knows, and the names it cannot match."""
    medicines, unmatched = [], []
    for name in names:
        found = formulary.find_by_name(name or "")
        if not found and (name or "").strip():
            unmatched.append(name.strip())
        for drug in found:
            label = drug.generic_name if name.strip() == drug.id else f"{drug.generic_name} ('{name.strip()}')"
            medicines.append(Medicine(drug, "current", label, None))
    return medicines, unmatched


def _unscreened(formulary: Formulary, new: list[Medicine], unmatched: Sequence[str]) -> list[Finding]:
    """A reported medicine the formulary cannot match is screened by nobody: say so, never drop it."""
    drugs = tuple(m.drug.id for m in distinct(new))
    names = ", ".join(m.drug.generic_name for m in distinct(new))
    return [Finding("DD", WARNING, drugs,
                    _("Cannot screen '%(name)s' (a medicine the patient reports): the formulary does not know it. "
                      "Check it against %(names)s by hand (interactions, duplication, total dose).",
                      name=name, names=names),
                    "DD.unmatched-medicine", f"drugs.yaml {formulary.version}: names and synonyms")
            for name in dict.fromkeys(unmatched)]


def _active_label(drug: FormularyDrug, item: Item) -> str:
    if item.supply_until is not None:
        return f"{drug.generic_name} (dispensed, supply to {item.supply_until.isoformat()})"
    return f"{drug.generic_name} (active prescription)"


def _sort_key(finding: Finding):
    return (finding.severity != BLOCKING, CODES.index(finding.code), finding.drugs, finding.rule, finding.message)


def check(*, formulary: Formulary, patient: PatientFacts, items: Sequence[Item], active_items: Sequence[Item] = (),
          today: date, policy: Policy) -> list[Finding]:
    """Every finding for prescribing `items` to this patient, most serious first, in a fixed order.

    `active_items` are the prescribed items of the patient's active medication profile
    (consult.profile); the patient's reported current medications are matched by drug id or name,
    and one the formulary cannot match is a warning. Only findings that involve a new item are
    reported: what is already prescribed was checked when it was prescribed.
    """
    unknown = sorted({i.drug_id for i in items if i.drug_id not in formulary.drugs})
    if unknown:
        raise ValueError(f"not in the formulary: {', '.join(unknown)}")
    months = age_in_months(patient.birth_date, today)
    new = [Medicine(formulary.drugs[i.drug_id], "new", formulary.drugs[i.drug_id].generic_name,
                     ingredient_mg_per_day(formulary.drugs[i.drug_id], i)) for i in items]
    active = [Medicine(formulary.drugs[i.drug_id], "active", _active_label(formulary.drugs[i.drug_id], i),
                        ingredient_mg_per_day(formulary.drugs[i.drug_id], i))
              for i in active_items if i.drug_id in formulary.drugs]
    current, unmatched = _current(formulary, patient.current_medications)
    others = active + current
    findings = (_interactions(formulary, new, others) + _unscreened(formulary, new, unmatched)
                + _patterns(formulary, new, others) + _allergies(formulary, patient, new)
                + pregnancy_findings(formulary, patient, new, months, today) + age_findings(formulary, new, months)
                + condition_findings(formulary, patient, new) + renal_findings(formulary, patient, new, today)
                + genotype_findings(formulary, patient, new)
                + _doses(formulary, patient, items, active_items, months) + _duplications(formulary, new, others)
                + _durations(formulary, policy, items))
    return sorted(dict.fromkeys(findings), key=_sort_key)


def split(findings: Sequence[Finding]) -> dict:
    """The API's `safety` object: {"blocking": [...], "warnings": [...]} of plain dicts."""
    return {"blocking": [f.to_dict() for f in findings if f.severity == BLOCKING],
            "warnings": [f.to_dict() for f in findings if f.severity != BLOCKING]}
