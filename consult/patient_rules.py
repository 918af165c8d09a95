"""Safety rules on the patient's record: pregnancy by gestational week and teratogens (PG),
minimum ages and Beers criteria (PA), recorded conditions and eGFR (DC), HLA genotypes (DL/TN).
Plain data in, findings out; consult/safety.py runs them with the others."""

from __future__ import annotations

from datetime import date

from consult.formulary import Formulary
from consult.policy import drug_name
from consult.safety_facts import (
    BLOCKING,
    CHILDBEARING_YEARS,
    EGFR_VALID_DAYS,
    LATEST_GESTATIONAL_WEEK,
    PREGNANCY_DAYS,
    WARNING,
    Finding,
    Medicine,
    PatientFacts,
    distinct,
)
from core.i18n import _

# ---- PG pregnancy, PA age ------------------------------------------------------------------

def gestational_week(due_date: date | None, today: date) -> int | None:
    """Completed weeks of pregnancy on `today` from the expected delivery date (None if unknown or
    if the date cannot belong to a current pregnancy)."""
    if due_date is None:
        return None
    week = (PREGNANCY_DAYS - (due_date - today).days) // 7
    return week if 0 <= week <= LATEST_GESTATIONAL_WEEK else None


def pregnancy_findings(formulary: Formulary, patient: PatientFacts, new: list[Medicine], months: int | None, today: date,
                       policy_name: str | None = None):
    """PG findings; a drug's pregnancy category is the one of the jurisdiction's labels where they differ."""
    years = None if months is None else months // 12
    may_be_pregnant = (patient.pregnant is None and (patient.sex or "unknown") != "male"
                       and (years is None or CHILDBEARING_YEARS[0] <= years <= CHILDBEARING_YEARS[1]))
    week = gestational_week(patient.pregnancy_due_date, today)
    findings = []
    for drug in (m.drug for m in distinct(new)):
        category, fact = drug.pregnancy_under(policy_name)
        source = f"drugs.yaml {formulary.version} #{drug.id}: {dict(drug.sources)[fact]}"
        note = drug.pregnancy_note or ""
        by_week = [r for r in formulary.pregnancy_week_rules if drug.id in r.drug_ids]
        if patient.pregnant and by_week and category != "contraindicated":
            if week is None:
                first = min(by_week, key=lambda r: r.from_week)
                findings.append(Finding(
                    "PG", WARNING, (drug.id,),
                    _("%(drug)s: the stage of pregnancy is not known (no expected delivery date on record, "
                      "or one that does not fit a current pregnancy), and from week %(week)s other rules "
                      "apply. Record the expected delivery date. %(advice)s", drug=drug_name(drug),
                      week=first.from_week, advice=first.advice), "PG.gestational-age-unknown",
                    f"disease_rules.yaml {formulary.version} #{first.id}: {first.source}"))
                continue
            reached = [r for r in by_week if week >= r.from_week]
            if reached:
                rule = max(reached, key=lambda r: r.from_week)
                findings.append(Finding("PG", rule.severity, (drug.id,),
                                        _("%(drug)s at %(week)s weeks of pregnancy (from week %(from_week)s): "
                                          "%(advice)s", drug=drug_name(drug), week=week,
                                          from_week=rule.from_week, advice=rule.advice), "PG.gestational-week",
                                        f"disease_rules.yaml {formulary.version} #{rule.id}: {rule.source}"))
                continue
        if patient.pregnant and category == "contraindicated":
            findings.append(Finding("PG", BLOCKING, (drug.id,),
                                    _("%(drug)s is contraindicated in pregnancy. %(note)s", drug=drug_name(drug),
                                      note=note),
                                    "PG.contraindicated", source))
        elif patient.pregnant and category == "caution":
            findings.append(Finding("PG", WARNING, (drug.id,),
                                    _("%(drug)s: use in pregnancy only if clearly needed. %(note)s",
                                      drug=drug_name(drug), note=note),
                                    "PG.caution", source))
        elif may_be_pregnant and drug.teratogen is not None:
            findings.append(Finding("PG", WARNING, (drug.id,),
                                    _("%(drug)s can harm an unborn child (%(harm)s) and pregnancy status is not "
                                      "recorded: confirm the patient is not pregnant.", drug=drug_name(drug),
                                      harm=drug.teratogen.harm),
                                    "PG.pregnancy-unknown",
                                    f"drugs.yaml {formulary.version} #{drug.id}: teratogen: {drug.teratogen.source}"))
        elif may_be_pregnant and category == "contraindicated":
            findings.append(Finding("PG", WARNING, (drug.id,),
                                    _("%(drug)s is contraindicated in pregnancy and pregnancy status is not "
                                      "recorded: confirm the patient is not pregnant. %(note)s",
                                      drug=drug_name(drug), note=note),
                                    "PG.pregnancy-unknown", source))
    return findings


def age_findings(formulary: Formulary, new: list[Medicine], months: int | None) -> list[Finding]:
    findings = []
    years = None if months is None else months // 12
    for drug in (m.drug for m in distinct(new)):
        older = drug.older_adults
        if older is not None and years is not None and years >= older.from_age_years:
            findings.append(Finding("PA", WARNING, (drug.id,),
                                    _("%(drug)s in a patient aged %(age)s or over: %(advice)s",
                                      drug=drug_name(drug), age=older.from_age_years, advice=older.advice),
                                    "PA.older-adult",
                                    f"drugs.yaml {formulary.version} #{drug.id}: {older.source}"))
        if drug.min_age is None:
            continue
        source = f"drugs.yaml {formulary.version} #{drug.id}: {drug.source('age')}"
        if months is None:
            findings.append(Finding("PA", WARNING, (drug.id,),
                                    _("%(drug)s has a minimum age of %(age)s and the patient's age is not "
                                      "recorded.", drug=drug_name(drug), age=drug.min_age),
                                    "PA.age-unknown", source))
        elif months < drug.min_age.months:
            findings.append(Finding("PA", drug.min_age.severity, (drug.id,),
                                    _("%(drug)s is not for patients under %(age)s: %(reason)s",
                                      drug=drug_name(drug), age=drug.min_age, reason=drug.min_age.reason),
                                    "PA.minimum-age", source))
    return findings


# ---- DC drug–disease, renal function; DL and TN genotypes -------------------------------------

def _icd10(code: str) -> str:
    return (code or "").upper().replace(".", "").strip()


def condition_findings(formulary: Formulary, patient: PatientFacts, new: list[Medicine]) -> list[Finding]:
    codes = [(code.strip(), _icd10(code)) for code, _display in patient.conditions]
    findings = []
    for drug in (m.drug for m in distinct(new)):
        for rule in formulary.condition_rules:
            prefixes = [_icd10(c) for c in rule.icd10]
            matched = [code for code, normal in codes
                       if drug.id in rule.drug_ids and any(normal.startswith(p) for p in prefixes)]
            if matched:  # the recorded code only: its display text is the patient's own record
                findings.append(Finding("DC", rule.severity, (drug.id,),
                                        _("%(drug)s with %(condition)s (recorded condition %(recorded)s): "
                                          "%(advice)s", drug=drug_name(drug), condition=rule.label,
                                          recorded=matched[0], advice=rule.advice), "DC.condition-table",
                                        f"disease_rules.yaml {formulary.version} #{rule.id}: {rule.source}"))
    return findings


def renal_findings(formulary: Formulary, patient: PatientFacts, new: list[Medicine], today: date) -> list[Finding]:
    egfr, measured = patient.egfr, patient.egfr_measured_on
    current = egfr is not None and measured is not None and (today - measured).days <= EGFR_VALID_DAYS
    findings = []
    for drug in (m.drug for m in distinct(new)):
        for rule in formulary.renal_rules:
            if drug.id not in rule.drug_ids:
                continue
            source = f"disease_rules.yaml {formulary.version} #{rule.id}: {rule.source}"
            thresholds = ", ".join(str(b.below) for b in rule.bands)
            if rule.egfr_required and not current:
                if egfr is None:
                    recorded = _("no eGFR is recorded")
                elif measured:
                    recorded = _("the eGFR on record (%(egfr)s, measured %(on)s) is more than 12 months old or undated",
                                 egfr=egfr, on=measured.isoformat())
                else:
                    recorded = _("the eGFR on record (%(egfr)s, measured on an unknown date) is more than 12 months "
                                 "old or undated", egfr=egfr)
                findings.append(Finding("TN", WARNING, (drug.id,),
                                        _("%(drug)s is cleared by the kidneys and has eGFR thresholds "
                                          "(%(thresholds)s mL/min/1.73 m²), but %(recorded)s: record a current eGFR.",
                                          drug=drug_name(drug), thresholds=thresholds, recorded=recorded),
                                        "TN.egfr-needed", source))
            band = next((b for b in rule.bands if egfr is not None and egfr < b.below), None)
            if band is not None:
                findings.append(Finding("DC", band.severity, (drug.id,),
                                        _("%(drug)s with an eGFR of %(egfr)s mL/min/1.73 m² (below %(below)s): "
                                          "%(advice)s", drug=drug_name(drug), egfr=egfr, below=band.below,
                                          advice=band.advice), "DC.renal-threshold", source))
    return findings


def _allele(text: str) -> str:
    return "".join((text or "").upper().split()).replace(":", "")


def genotype_findings(formulary: Formulary, patient: PatientFacts, new: list[Medicine]) -> list[Finding]:
    results = {_allele(allele): result for allele, result in patient.genotypes}
    ancestry = set(patient.ancestry)
    findings = []
    for drug in (m.drug for m in distinct(new)):
        for rule in formulary.genotype_rules:
            if drug.id not in rule.drug_ids:
                continue
            source = f"disease_rules.yaml {formulary.version} #{rule.id}: {rule.source}"
            result = results.get(_allele(rule.allele))
            if result == "positive":
                findings.append(Finding("DL", BLOCKING, (drug.id,),
                                        _("%(drug)s: the patient carries %(allele)s, which carries a high risk of "
                                          "%(harm)s. %(advice)s", drug=drug_name(drug), allele=rule.allele,
                                          harm=rule.harm, advice=rule.advice_positive), "DL.risk-genotype",
                                        source))
            elif result is None and ancestry & rule.ancestries:
                findings.append(Finding("TN", WARNING, (drug.id,),
                                        _("%(drug)s: no %(allele)s result on record and the patient's recorded "
                                          "ancestry is one where it is common (%(harm)s). %(advice)s",
                                          drug=drug_name(drug), allele=rule.allele, harm=rule.harm,
                                          advice=rule.advice_untested), "TN.genotype-needed", source))
            elif result is None and not ancestry and rule.screen == "ancestry-at-risk":
                findings.append(Finding("TN", WARNING, (drug.id,),
                                        _("%(drug)s: the patient's ancestry is not recorded and there is no "
                                          "%(allele)s result, so whether to test before starting cannot be decided "
                                          "(%(harm)s in carriers). Record the ancestry, or the result. %(advice)s",
                                          drug=drug_name(drug), allele=rule.allele, harm=rule.harm,
                                          advice=rule.advice_untested), "TN.ancestry-unknown", source))
    return findings
