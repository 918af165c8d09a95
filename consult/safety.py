"""Prescription safety checks (NCPDP DUR codes) over plain data: deterministic findings, no DB, no Flask.

DD drug–drug interaction · AT additive toxicity (multi-drug patterns over the whole profile) ·
DA drug–allergy · TD therapeutic duplication · HD high dose (per ingredient, over the new items and
the active medication profile) · EX excessive quantity · PG pregnancy (by gestational week;
teratogens when status is unknown) · PA patient age (minimum ages; AGS Beers Criteria from 65) ·
DC drug–disease (recorded conditions, eGFR) · DL drug–lab conflict (a known risk genotype) ·
TN laboratory test needed (eGFR, HLA genotype) · MX duration beyond the jurisdiction's limit.
The dose checks (HD, EX) are in consult/dose_rules.py, the patient-record rules in patient_rules.py.
A blocking finding stops signing; a warning needs the prescriber's written reason. Every finding names the rule
that raised it and the data source behind it, and never the patient.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from consult.dose_rules import dose_findings
from consult.formulary import Formulary, FormularyDrug, Interaction
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
    BLOCKING,
    CODES,
    WARNING,
    Allergy,
    Finding,
    Item,
    Medicine,
    PatientFacts,
    age_in_months,
    distinct,
    ingredient_mg_per_day,
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
                + pregnancy_findings(formulary, patient, new, months, today, policy.name) + age_findings(formulary, new, months)
                + condition_findings(formulary, patient, new) + renal_findings(formulary, patient, new, today)
                + genotype_findings(formulary, patient, new)
                + dose_findings(formulary, patient, items, active_items, months) + _duplications(formulary, new, others)
                + _durations(formulary, policy, items))
    return sorted(dict.fromkeys(findings), key=_sort_key)


def split(findings: Sequence[Finding]) -> dict:
    """The API's `safety` object: {"blocking": [...], "warnings": [...]} of plain dicts."""
    return {"blocking": [f.to_dict() for f in findings if f.severity == BLOCKING],
            "warnings": [f.to_dict() for f in findings if f.severity != BLOCKING]}
