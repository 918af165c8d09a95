"""Safety checks as specifications: every DUR code flags its case and passes a safe one; every
interaction in the table is flagged in both orders with its severity; and clinical cases."""

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from consult.formulary import get_formulary
from consult.policy import get_policy
from consult.safety import Allergy, Finding, Item, PatientFacts, age_in_months, check, daily_dose_mg, split

FORMULARY = get_formulary()
TODAY = date(2026, 11, 25)
ADULT = PatientFacts(birth_date=date(1980, 5, 17), sex="male", pregnant=None, weight_kg=70)
WOMAN = replace(ADULT, sex="female", birth_date=date(1992, 9, 3), weight_kg=60)


def born_years_ago(years: int, months: int = 0) -> date:
    month_index = TODAY.month - 1 - months
    return date(TODAY.year - years + month_index // 12, month_index % 12 + 1, 1)


def item(drug_id: str, dose=None, unit=None, per_day=1, days=7, quantity=None, refills=0) -> Item:
    """An item; its quantity is what the dose needs over the days supply unless stated."""
    drug = FORMULARY.drugs[drug_id]
    if unit is None:
        unit = "puff" if drug.strength_unit.endswith("/dose") else "tablet"
    dose = Decimal(str(dose if dose is not None else 1))
    if quantity is None:
        units = drug.units_per(unit)
        quantity = math.ceil(dose * units * Decimal(str(per_day)) * days) if units else 30
    return Item(drug_id=drug_id, dose=dose, dose_unit=unit, frequency_per_day=Decimal(str(per_day)),
                route=drug.route, days_supply=days, quantity=quantity, refills=refills)


def run(items, patient=ADULT, active=(), policy="cn"):
    return check(formulary=FORMULARY, patient=patient, items=items, active_items=active, today=TODAY,
                 policy=get_policy(policy))


def codes(findings, severity=None):
    return [(f.code, f.severity, f.rule) for f in findings if severity in (None, f.severity)]


def has(findings, code, severity, rule=None):
    return any(f.code == code and f.severity == severity and (rule is None or f.rule == rule) for f in findings)


# ---- the defaults other code relies on -------------------------------------------------------

def test_a_standard_amoxicillin_course_for_a_healthy_adult_has_no_findings():
    patient = PatientFacts(birth_date=date(1985, 1, 1), sex="female", pregnant=None, weight_kg=None)
    assert run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3, quantity=21)], patient) == []


def test_split_gives_the_api_safety_object_of_plain_dicts():
    findings = run([item("sildenafil-50mg-tab"), item("nitroglycerin-0.5mg-sl-tab"),
                    item("paracetamol-500mg-tab", dose=2, per_day=6)])
    safety = split(findings)
    assert set(safety) == {"blocking", "warnings"}
    assert [f["code"] for f in safety["blocking"]] == ["DD"]
    assert [f["code"] for f in safety["warnings"]] == ["HD"]
    assert safety["blocking"][0] == {"code": "DD", "severity": "blocking",
                                     "drugs": ["sildenafil-50mg-tab", "nitroglycerin-0.5mg-sl-tab"],
                                     "message": findings[0].message, "rule": "DD.interaction-table",
                                     "source": findings[0].source}
    assert split([]) == {"blocking": [], "warnings": []}


def test_findings_are_in_a_fixed_order_whatever_the_order_of_items():
    items = [item("warfarin-3mg-tab"), item("ibuprofen-400mg-tab", dose=3, per_day=4),
             item("naproxen-220mg-tab"), item("isotretinoin-20mg-cap", days=40)]
    patient = replace(WOMAN, allergies=(Allergy("aspirin"),))
    forward, backward = run(items, patient), run(items[::-1], patient)
    assert [(f.code, f.rule, set(f.drugs)) for f in forward] == [(f.code, f.rule, set(f.drugs)) for f in backward]
    assert [f.severity for f in forward] == sorted((f.severity for f in forward), key=lambda s: s != "blocking")
    assert run(items, patient) == forward


def test_every_finding_names_a_rule_and_a_source_and_never_the_patient():
    patient = replace(WOMAN, pregnant=True, allergies=(Allergy("penicillin", "rash"),),
                      current_medications=("Zoloft",))
    findings = run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3, days=10),
                    item("isotretinoin-20mg-cap"), item("tramadol-50mg-cap", dose=4, per_day=3)], patient)
    assert {f.code for f in findings} >= {"DA", "PG", "HD", "MX", "DD"}
    for finding in findings:
        assert isinstance(finding, Finding)
        assert finding.rule.startswith(finding.code + ".") and finding.source and finding.message
        assert finding.drugs and all(d in FORMULARY.drugs for d in finding.drugs)


def test_an_unknown_drug_is_refused():
    with pytest.raises(ValueError, match="not in the formulary: no-such-drug"):
        run([Item("no-such-drug", Decimal(1), "tablet", Decimal(1), "oral", 7, 7)])


# ---- DD: drug–drug interactions -----------------------------------------------------------

def _dose_above(drug_id, rule):
    """Units a day that put this drug above the rule's dose threshold (or 1 without one)."""
    condition = rule.dose_condition
    drug = FORMULARY.drugs[drug_id]
    if condition is None or condition.ingredient not in drug.ingredients:
        return 1
    per_unit = drug.mg_per("puff" if drug.strength_unit.endswith("/dose") else "tablet")
    return int(condition.above.mg_per_day() // per_unit) + 1


INTERACTION_PAIRS = [pytest.param(rule, a, b, id=f"{rule.id}:{a}+{b}")
                     for rule in FORMULARY.interactions for a, b in FORMULARY.pairs_of(rule)]


@pytest.mark.parametrize("rule, a, b", INTERACTION_PAIRS)
def test_every_interaction_in_the_table_is_flagged_in_both_orders_with_its_severity(rule, a, b):
    assert rule in FORMULARY.interactions_between(a, b) and rule in FORMULARY.interactions_between(b, a)
    expected = "blocking" if rule.severity == "contraindicated" else "warning"
    first, second = item(a, dose=_dose_above(a, rule)), item(b, dose=_dose_above(b, rule))
    for findings in (run([first, second]), run([second, first]), run([first], active=[second]),
                     run([second], active=[first])):
        flagged = [f for f in findings if f.code == "DD" and f.source.split(":")[0].endswith(f"#{rule.id}")]
        assert [f.severity for f in flagged] == [expected]
        assert set(flagged[0].drugs) == {a, b}


@pytest.mark.parametrize("new, current, severity", [
    ("sertraline-50mg-tab", "phenelzine", "blocking"),
    ("sertraline-50mg-tab", "Nardil 15 mg", "blocking"),
    ("sildenafil-50mg-tab", "GTN spray", "blocking"),
    ("sildenafil-50mg-tab", "isosorbide mononitrate", "blocking"),
    ("ibuprofen-400mg-tab", "Warfarin 3mg", "warning"),
    ("clarithromycin-500mg-tab", "simvastatin", "blocking"),
    ("clarithromycin-500mg-tab", "辛伐他汀", "blocking"),
    ("tadalafil-20mg-tab", "硝酸甘油", "blocking"),
])
def test_a_reported_current_medication_is_checked_for_interactions(new, current, severity):
    findings = run([item(new)], replace(ADULT, current_medications=(current,)))
    assert has(findings, "DD", severity, "DD.interaction-table")
    assert current in next(f.message for f in findings if f.code == "DD")


@pytest.mark.parametrize("new, other", [
    ("amoxicillin-500mg-cap", "metformin-500mg-tab"),
    ("paracetamol-500mg-tab", "amlodipine-5mg-tab"),
    ("clopidogrel-75mg-tab", "pantoprazole-20mg-tab"),
    ("rosuvastatin-10mg-tab", "clarithromycin-500mg-tab"),
    ("azithromycin-250mg-tab", "simvastatin-20mg-tab"),
    ("cetirizine-10mg-tab", "sertraline-50mg-tab"),
    ("levothyroxine-50mcg-tab", "metformin-500mg-tab"),
])
def test_drugs_that_do_not_interact_give_no_dd(new, other):
    assert not [f for f in run([item(new)], active=[item(other)]) if f.code == "DD"]


def test_a_reported_medicine_the_formulary_cannot_match_is_a_warning_never_dropped():
    findings = run([item("paracetamol-500mg-tab")], replace(ADULT, current_medications=("vitamin D", "", "vitamin D")))
    assert codes(findings) == [("DD", "warning", "DD.unmatched-medicine")]
    assert findings[0].drugs == ("paracetamol-500mg-tab",)
    assert "Cannot screen 'vitamin D'" in findings[0].message


def test_a_dispensed_supply_on_the_profile_is_named_with_its_last_day():
    dispensed = replace(item("simvastatin-20mg-tab"), supply_until=date(2026, 11, 30))
    findings = run([item("clarithromycin-500mg-tab")], active=[dispensed])
    assert codes(findings) == [("DD", "blocking", "DD.interaction-table")]
    assert "simvastatin (dispensed, supply to 2026-11-30)" in findings[0].message


def test_simvastatin_with_amlodipine_is_major_above_20_mg_and_moderate_at_or_below():
    over = run([item("simvastatin-20mg-tab", dose=40, unit="mg")], active=[item("amlodipine-5mg-tab")])
    at = run([item("simvastatin-20mg-tab", dose=20, unit="mg")], active=[item("amlodipine-5mg-tab")])
    assert "major interaction" in next(f.message for f in over if f.code == "DD")
    assert "moderate interaction" in next(f.message for f in at if f.code == "DD")


def test_occasional_paracetamol_with_warfarin_is_no_finding_but_regular_high_doses_are():
    low = run([item("paracetamol-500mg-tab", dose=2, per_day=2)], active=[item("warfarin-3mg-tab")])
    high = run([item("paracetamol-500mg-tab", dose=2, per_day=3)], active=[item("warfarin-3mg-tab")])
    unknown = run([item("warfarin-3mg-tab")], replace(ADULT, current_medications=("paracetamol",)))
    assert not [f for f in low if f.code == "DD"]
    assert has(high, "DD", "warning") and has(unknown, "DD", "warning")


def test_the_same_interaction_is_reported_once_even_if_listed_twice():
    patient = replace(ADULT, current_medications=("warfarin", "Coumadin"))
    findings = run([item("ibuprofen-400mg-tab")], patient, active=[item("warfarin-3mg-tab")])
    assert len([f for f in findings if f.code == "DD"]) == 1


# ---- DA: drug–allergy ------------------------------------------------------------------------

ALLERGY_CASES = [
    ("Penicillin", "amoxicillin-500mg-cap", "blocking", "DA.group"),
    ("penicillins", "amoxicillin-clavulanate-500-125mg-tab", "blocking", "DA.group"),
    ("青霉素", "amoxicillin-500mg-cap", "blocking", "DA.group"),
    ("amoxicillin", "amoxicillin-500mg-cap", "blocking", "DA.ingredient"),
    ("amoxicillin", "amoxicillin-clavulanate-500-125mg-tab", "blocking", "DA.ingredient"),
    ("Augmentin", "amoxicillin-500mg-cap", "blocking", "DA.ingredient"),
    ("Penicillin", "cefalexin-500mg-cap", "warning", "DA.group-cross-reactivity"),
    ("Penicillin", "cefuroxime-250mg-tab", "warning", "DA.group-cross-reactivity"),
    ("cephalosporins", "amoxicillin-500mg-cap", "warning", "DA.group-cross-reactivity"),
    ("cefalexin", "cefuroxime-250mg-tab", "blocking", "DA.group"),
    ("sulfa", "sulfamethoxazole-trimethoprim-800-160mg-tab", "blocking", "DA.group"),
    ("磺胺", "sulfamethoxazole-trimethoprim-800-160mg-tab", "blocking", "DA.group"),
    ("sulfa drugs", "hydrochlorothiazide-25mg-tab", "warning", "DA.group-cross-reactivity"),
    ("Bactrim", "furosemide-40mg-tab", "warning", "DA.group-cross-reactivity"),
    ("aspirin", "ibuprofen-200mg-tab", "blocking", "DA.group"),
    ("aspirin", "aspirin-100mg-tab", "blocking", "DA.ingredient"),
    ("NSAIDs", "naproxen-220mg-tab", "blocking", "DA.group"),
    ("NSAIDs", "aspirin-100mg-tab", "blocking", "DA.group"),
    ("ibuprofen", "diclofenac-50mg-tab", "blocking", "DA.group"),
    ("非甾体抗炎药", "diclofenac-50mg-tab", "blocking", "DA.group"),
    ("azithromycin", "clarithromycin-500mg-tab", "blocking", "DA.group"),
    ("quinolones", "levofloxacin-500mg-tab", "blocking", "DA.group"),
    ("fluconazole", "itraconazole-100mg-cap", "warning", "DA.group"),
    ("lisinopril (angioedema)", "enalapril-10mg-tab", "blocking", "DA.group"),
    ("ACE inhibitors", "losartan-50mg-tab", "warning", "DA.group-cross-reactivity"),
    ("codeine", "tramadol-50mg-cap", "warning", "DA.group"),
    ("carbamazepine", "phenytoin-100mg-cap", "warning", "DA.group"),
    ("diazepam", "alprazolam-0.4mg-tab", "blocking", "DA.group"),
    ("trimethoprim", "sulfamethoxazole-trimethoprim-800-160mg-tab", "blocking", "DA.ingredient"),
    ("paracetamol", "paracetamol-500mg-tab", "blocking", "DA.ingredient"),
    ("对乙酰氨基酚", "paracetamol-500mg-tab", "blocking", "DA.ingredient"),
]


@pytest.mark.parametrize("substance, drug_id, severity, rule", ALLERGY_CASES)
def test_a_documented_allergy_flags_the_drug_its_group_and_cross_reacting_groups(substance, drug_id, severity, rule):
    findings = [f for f in run([item(drug_id)], replace(ADULT, allergies=(Allergy(substance),))) if f.code == "DA"]
    assert [(f.severity, f.rule) for f in findings] == [(severity, rule)]
    assert substance in findings[0].message


@pytest.mark.parametrize("substance, drug_id", [
    ("penicillin", "azithromycin-250mg-tab"), ("sulfa", "amoxicillin-500mg-cap"),
    ("peanuts", "amoxicillin-500mg-cap"), ("latex", "ibuprofen-200mg-tab"), ("sulfite", "hydrochlorothiazide-25mg-tab"),
    ("aspirin", "paracetamol-500mg-tab"), ("codeine", "paracetamol-500mg-tab"),
    ("clavulanic acid", "amoxicillin-500mg-cap"), ("amoxicillin", "azithromycin-250mg-tab"),
])
def test_an_allergy_to_something_else_gives_no_da(substance, drug_id):
    assert not [f for f in run([item(drug_id)], replace(ADULT, allergies=(Allergy(substance),))) if f.code == "DA"]


def test_one_allergy_gives_one_finding_per_drug_the_most_severe():
    patient = replace(ADULT, allergies=(Allergy("amoxicillin", "anaphylaxis", "severe"),))
    findings = [f for f in run([item("amoxicillin-500mg-cap")], patient) if f.code == "DA"]
    assert [(f.rule, f.severity) for f in findings] == [("DA.ingredient", "blocking")]
    assert "(anaphylaxis)" in findings[0].message


# ---- PG: pregnancy -----------------------------------------------------------------------------

@pytest.mark.parametrize("drug_id, pregnant, sex, born, severity, rule", [
    ("isotretinoin-20mg-cap", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("warfarin-3mg-tab", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("lisinopril-10mg-tab", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("ibuprofen-200mg-tab", True, "female", date(1995, 1, 1), "warning", "PG.caution"),
    ("sertraline-50mg-tab", True, "female", date(1995, 1, 1), "warning", "PG.caution"),
    ("isotretinoin-20mg-cap", None, "female", date(1995, 1, 1), "warning", "PG.pregnancy-unknown"),
    ("methotrexate-2.5mg-tab", None, "female", born_years_ago(12), "warning", "PG.pregnancy-unknown"),
    ("finasteride-5mg-tab", None, "female", born_years_ago(55), "warning", "PG.pregnancy-unknown"),
    ("isotretinoin-20mg-cap", None, None, date(1995, 1, 1), "warning", "PG.pregnancy-unknown"),
])
def test_pregnancy_blocks_contraindicated_drugs_and_warns_on_caution_or_unknown_status(
        drug_id, pregnant, sex, born, severity, rule):
    patient = PatientFacts(birth_date=born, sex=sex, pregnant=pregnant, weight_kg=60)
    assert [(f.severity, f.rule) for f in run([item(drug_id)], patient) if f.code == "PG"] == [(severity, rule)]


@pytest.mark.parametrize("drug_id, pregnant, sex, born", [
    ("isotretinoin-20mg-cap", False, "female", date(1995, 1, 1)),
    ("isotretinoin-20mg-cap", None, "male", date(1995, 1, 1)),
    ("isotretinoin-20mg-cap", None, "female", born_years_ago(57)),
    ("methotrexate-2.5mg-tab", None, "female", born_years_ago(11)),
    ("ibuprofen-200mg-tab", None, "female", date(1995, 1, 1)),
    ("amoxicillin-500mg-cap", True, "female", date(1995, 1, 1)),
    ("paracetamol-500mg-tab", True, "female", date(1995, 1, 1)),
])
def test_no_pg_when_pregnancy_is_excluded_or_the_drug_is_safe(drug_id, pregnant, sex, born):
    patient = PatientFacts(birth_date=born, sex=sex, pregnant=pregnant, weight_kg=60)
    assert not [f for f in run([item(drug_id)], patient) if f.code == "PG"]


# ---- PA: age ------------------------------------------------------------------------------------

@pytest.mark.parametrize("drug_id, years, months, severity", [
    ("codeine-30mg-tab", 8, 0, "blocking"),
    ("codeine-30mg-tab", 11, 11, "blocking"),
    ("tramadol-50mg-cap", 10, 0, "blocking"),
    ("aspirin-500mg-tab", 14, 0, "blocking"),
    ("aspirin-100mg-tab", 10, 0, "warning"),
    ("ciprofloxacin-500mg-tab", 16, 0, "warning"),
    ("levofloxacin-500mg-tab", 17, 11, "warning"),
    ("doxycycline-100mg-tab", 7, 0, "warning"),
    ("loperamide-2mg-cap", 1, 6, "blocking"),
    ("sulfamethoxazole-trimethoprim-800-160mg-tab", 0, 1, "blocking"),
    ("diazepam-5mg-tab", 0, 4, "blocking"),
])
def test_a_patient_below_the_minimum_age_gets_the_drugs_severity(drug_id, years, months, severity):
    patient = replace(ADULT, birth_date=born_years_ago(years, months), weight_kg=40)
    assert [(f.severity, f.rule) for f in run([item(drug_id)], patient) if f.code == "PA"] == [
        (severity, "PA.minimum-age")]


@pytest.mark.parametrize("drug_id, years", [
    ("codeine-30mg-tab", 12), ("tramadol-50mg-cap", 40), ("aspirin-500mg-tab", 16), ("ciprofloxacin-500mg-tab", 18),
    ("doxycycline-100mg-tab", 8), ("paracetamol-500mg-tab", 1), ("amoxicillin-500mg-cap", 2),
])
def test_no_pa_at_or_above_the_minimum_age(drug_id, years):
    patient = replace(ADULT, birth_date=born_years_ago(years), weight_kg=40)
    assert not [f for f in run([item(drug_id)], patient) if f.code == "PA"]


def test_an_unknown_age_is_a_warning_for_drugs_with_a_minimum_age():
    patient = replace(ADULT, birth_date=None)
    assert codes(run([item("codeine-30mg-tab")], patient)) == [("PA", "warning", "PA.age-unknown")]


# ---- HD: daily dose -----------------------------------------------------------------------------

@pytest.mark.parametrize("drug_id, dose, unit, per_day, patient", [
    ("paracetamol-500mg-tab", 2, "tablet", 6, ADULT),  # 6 g a day
    ("paracetamol-500mg-tab", 1, "g", 5, ADULT),
    ("ibuprofen-400mg-tab", 800, "mg", 4, ADULT),
    ("levothyroxine-50mcg-tab", 400, "mcg", 1, ADULT),
    ("atorvastatin-20mg-tab", 0.1, "g", 1, ADULT),
    ("salbutamol-100mcg-inhaler", 2, "puff", 6, ADULT),
    ("methotrexate-2.5mg-tab", 30, "mg", Decimal(1) / 7, ADULT),  # 30 mg once a week
    ("citalopram-20mg-tab", 40, "mg", 1, replace(ADULT, birth_date=born_years_ago(70))),
    ("zolpidem-10mg-tab", 10, "mg", 1, replace(ADULT, birth_date=born_years_ago(70))),
    ("tramadol-50mg-cap", 2, "capsule", 4, replace(ADULT, birth_date=born_years_ago(80))),
    ("amoxicillin-500mg-cap", 500, "mg", 3, replace(ADULT, birth_date=born_years_ago(3), weight_kg=15)),
    ("paracetamol-500mg-tab", 500, "mg", 4, replace(ADULT, birth_date=born_years_ago(4), weight_kg=16)),
    ("isotretinoin-20mg-cap", 80, "mg", 1, replace(ADULT, weight_kg=50)),
])
def test_a_daily_dose_above_the_maximum_for_the_patient_is_a_warning(drug_id, dose, unit, per_day, patient):
    findings = run([item(drug_id, dose=dose, unit=unit, per_day=per_day)], patient)
    assert ("HD", "warning", "HD.above-maximum") in codes(findings)


@pytest.mark.parametrize("drug_id, dose, unit, per_day, patient", [
    ("paracetamol-500mg-tab", 2, "tablet", 4, ADULT),  # exactly 4 g
    ("paracetamol-500mg-tab", 1, "g", 4, ADULT),
    ("ibuprofen-400mg-tab", 400, "mg", 3, ADULT),
    ("levothyroxine-50mcg-tab", 0.1, "mg", 1, ADULT),
    ("salbutamol-100mcg-inhaler", 2, "puff", 4, ADULT),
    ("methotrexate-2.5mg-tab", 15, "mg", Decimal(1) / 7, ADULT),
    ("citalopram-20mg-tab", 20, "mg", 1, replace(ADULT, birth_date=born_years_ago(70))),
    ("citalopram-20mg-tab", 40, "mg", 1, ADULT),
    ("amoxicillin-500mg-cap", 250, "mg", 3, replace(ADULT, birth_date=born_years_ago(3), weight_kg=15)),
    ("amoxicillin-500mg-cap", 1, "g", 3, replace(ADULT, birth_date=born_years_ago(15), weight_kg=None)),
    ("nitroglycerin-0.5mg-sl-tab", 1, "tablet", 6, ADULT),  # as needed, no established daily maximum
])
def test_a_daily_dose_within_the_maximum_gives_no_hd(drug_id, dose, unit, per_day, patient):
    assert not [f for f in run([item(drug_id, dose=dose, unit=unit, per_day=per_day)], patient) if f.code == "HD"]


def test_the_daily_dose_adds_up_every_item_of_the_same_drug():
    items = [item("paracetamol-500mg-tab", dose=2, per_day=3), item("paracetamol-500mg-tab", dose=2, per_day=2)]
    assert ("HD", "warning", "HD.above-maximum") in codes(run(items))


def test_a_child_dose_by_weight_needs_the_weight_under_12():
    child = replace(ADULT, birth_date=born_years_ago(6), weight_kg=None)
    findings = run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3)], child)
    assert codes(findings) == [("HD", "warning", "HD.weight-needed")]


def test_a_child_maximum_never_exceeds_the_adult_maximum():
    teenager = replace(ADULT, birth_date=born_years_ago(16), weight_kg=80)  # 90 mg/kg would be 7.2 g
    findings = run([item("amoxicillin-500mg-cap", dose=1, unit="g", per_day=4)], teenager)
    assert ("HD", "warning", "HD.above-maximum") in codes(findings)


def test_methotrexate_every_day_is_flagged_even_below_the_weekly_maximum():
    findings = run([item("methotrexate-2.5mg-tab", dose=2.5, unit="mg", per_day=1)])
    assert ("HD", "warning", "HD.weekly-drug-dosed-daily") in codes(findings)
    assert "WEEKLY" in findings[0].message


def test_a_dose_unit_that_cannot_be_converted_is_a_warning_not_a_silent_pass():
    assert codes(run([item("paracetamol-500mg-tab", dose=5, unit="mL")])) == [
        ("HD", "warning", "HD.unit-not-checkable")]
    assert codes(run([item("salbutamol-100mcg-inhaler", dose=1, unit="tablet")])) == [
        ("HD", "warning", "HD.unit-not-checkable")]


@pytest.mark.parametrize("drug_id, unit, expected_mg", [
    ("paracetamol-500mg-tab", "tablet", Decimal(1000)),
    ("amoxicillin-500mg-cap", "capsule", Decimal(1000)),
    ("levothyroxine-50mcg-tab", "tablet", Decimal("0.1")),
    ("salbutamol-100mcg-inhaler", "puff", Decimal("0.2")),
    ("paracetamol-500mg-tab", "g", Decimal(2000)),
    ("paracetamol-500mg-tab", "mcg", Decimal("0.002")),
])
def test_daily_dose_converts_units_and_counts_through_the_strength(drug_id, unit, expected_mg):
    assert daily_dose_mg(FORMULARY.drugs[drug_id], item(drug_id, dose=2, unit=unit, per_day=1)) == expected_mg


# ---- TD: therapeutic duplication ---------------------------------------------------------------

@pytest.mark.parametrize("first, second, rule", [
    ("sertraline-50mg-tab", "fluoxetine-20mg-cap", "TD.same-class"),
    ("ibuprofen-400mg-tab", "naproxen-220mg-tab", "TD.same-class"),
    ("aspirin-500mg-tab", "diclofenac-50mg-tab", "TD.same-class"),
    ("omeprazole-20mg-cap", "pantoprazole-20mg-tab", "TD.same-class"),
    ("lisinopril-10mg-tab", "enalapril-10mg-tab", "TD.same-class"),
    ("atorvastatin-20mg-tab", "rosuvastatin-10mg-tab", "TD.same-class"),
    ("diazepam-5mg-tab", "alprazolam-0.4mg-tab", "TD.same-class"),
    ("cetirizine-10mg-tab", "loratadine-10mg-tab", "TD.same-class"),
    ("amoxicillin-500mg-cap", "amoxicillin-clavulanate-500-125mg-tab", "TD.same-ingredient"),
    ("aspirin-100mg-tab", "aspirin-500mg-tab", "TD.same-ingredient"),
    ("ibuprofen-200mg-tab", "ibuprofen-400mg-tab", "TD.same-ingredient"),
])
def test_two_drugs_of_one_class_or_ingredient_are_duplication_not_an_interaction(first, second, rule):
    for findings in (run([item(first), item(second)]), run([item(first)], active=[item(second)])):
        assert [(f.code, f.rule) for f in findings if f.code in ("TD", "DD")] == [("TD", rule)]


def test_a_drug_the_patient_already_takes_is_flagged_as_duplication():
    patient = replace(ADULT, current_medications=("Panadol",))
    findings = run([item("paracetamol-500mg-tab")], patient)
    assert codes(findings) == [("TD", "warning", "TD.same-ingredient")]
    assert "replaces it rather than adds to it" in findings[0].message


@pytest.mark.parametrize("first, second", [
    ("isosorbide-mononitrate-60mg-mr-tab", "nitroglycerin-0.5mg-sl-tab"),  # long-acting plus as-needed is standard
    ("lisinopril-10mg-tab", "amlodipine-5mg-tab"),
    ("metformin-500mg-tab", "gliclazide-80mg-tab"),
    ("aspirin-100mg-tab", "clopidogrel-75mg-tab"),
])
def test_complementary_drugs_are_not_duplication(first, second):
    assert not [f for f in run([item(first), item(second)]) if f.code == "TD"]


# ---- MX: duration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy, days, expected", [
    ("cn", 7, []),
    ("cn", 8, [("MX", "warning", "MX.standard-limit")]),
    ("cn", 10, [("MX", "warning", "MX.standard-limit")]),
    ("cn", 30, [("MX", "warning", "MX.standard-limit")]),
    ("cn", 31, [("MX", "blocking", "MX.absolute-maximum")]),
    ("cn", 40, [("MX", "blocking", "MX.absolute-maximum")]),
    ("us", 90, []),
    ("us", 91, [("MX", "warning", "MX.standard-limit")]),
    ("us", 366, [("MX", "blocking", "MX.absolute-maximum")]),
])
def test_days_supply_beyond_the_policy_limit_warns_and_beyond_the_maximum_blocks(policy, days, expected):
    findings = run([item("metformin-500mg-tab", days=days)], policy=policy)
    assert codes(findings) == expected


def test_an_mx_finding_cites_the_jurisdictions_rule():
    finding = run([item("metformin-500mg-tab", days=10)])[0]
    assert "处方管理办法 第十九条" in finding.source and "state the reason" in finding.message


# ---- clinical cases ---------------------------------------------------------------------------------

CLINICAL_CASES = [
    ("sildenafil with nitroglycerin", ADULT, ["sildenafil-50mg-tab", "nitroglycerin-0.5mg-sl-tab"], [], ("DD", "blocking")),
    ("tadalafil with isosorbide mononitrate", ADULT, ["tadalafil-20mg-tab"], ["isosorbide-mononitrate-60mg-mr-tab"],
     ("DD", "blocking")),
    ("simvastatin with clarithromycin", ADULT, ["clarithromycin-500mg-tab"], ["simvastatin-20mg-tab"], ("DD", "blocking")),
    ("simvastatin with itraconazole", ADULT, ["itraconazole-100mg-cap"], ["simvastatin-20mg-tab"], ("DD", "blocking")),
    ("sertraline with phenelzine", ADULT, ["sertraline-50mg-tab"], ["phenelzine-15mg-tab"], ("DD", "blocking")),
    ("tramadol with selegiline", ADULT, ["tramadol-50mg-cap"], ["selegiline-5mg-tab"], ("DD", "blocking")),
    ("sumatriptan with phenelzine", ADULT, ["sumatriptan-50mg-tab"], ["phenelzine-15mg-tab"], ("DD", "blocking")),
    ("colchicine with clarithromycin", ADULT, ["clarithromycin-500mg-tab"], ["colchicine-0.5mg-tab"], ("DD", "blocking")),
    ("alprazolam with ketoconazole", ADULT, ["ketoconazole-200mg-tab"], ["alprazolam-0.4mg-tab"], ("DD", "blocking")),
    ("methotrexate with co-trimoxazole", ADULT, ["sulfamethoxazole-trimethoprim-800-160mg-tab"],
     ["methotrexate-2.5mg-tab"], ("DD", "blocking")),
    ("isotretinoin with doxycycline", ADULT, ["doxycycline-100mg-tab"], ["isotretinoin-20mg-cap"], ("DD", "blocking")),
    ("nifedipine with rifampicin", ADULT, ["rifampicin-300mg-cap"], ["nifedipine-30mg-mr-tab"], ("DD", "blocking")),
    ("warfarin with ibuprofen", ADULT, ["ibuprofen-400mg-tab"], ["warfarin-3mg-tab"], ("DD", "warning")),
    ("warfarin with metronidazole", ADULT, ["metronidazole-500mg-tab"], ["warfarin-3mg-tab"], ("DD", "warning")),
    ("warfarin with fluconazole", ADULT, ["fluconazole-150mg-cap"], ["warfarin-3mg-tab"], ("DD", "warning")),
    ("warfarin with rifampicin", ADULT, ["rifampicin-300mg-cap"], ["warfarin-3mg-tab"], ("DD", "warning")),
    ("clopidogrel with omeprazole", ADULT, ["omeprazole-20mg-cap"], ["clopidogrel-75mg-tab"], ("DD", "warning")),
    ("digoxin with amiodarone", ADULT, ["amiodarone-200mg-tab"], ["digoxin-0.25mg-tab"], ("DD", "warning")),
    ("lithium with ibuprofen", ADULT, ["ibuprofen-200mg-tab"], ["lithium-carbonate-300mg-tab"], ("DD", "warning")),
    ("lithium with hydrochlorothiazide", ADULT, ["hydrochlorothiazide-25mg-tab"], ["lithium-carbonate-300mg-tab"],
     ("DD", "warning")),
    ("lisinopril with spironolactone", ADULT, ["spironolactone-25mg-tab"], ["lisinopril-10mg-tab"], ("DD", "warning")),
    ("losartan with potassium chloride", ADULT, ["potassium-chloride-750mg-mr-tab"], ["losartan-50mg-tab"],
     ("DD", "warning")),
    ("ACE inhibitor with ARB", ADULT, ["valsartan-80mg-tab"], ["enalapril-10mg-tab"], ("DD", "warning")),
    ("citalopram with ciprofloxacin", ADULT, ["ciprofloxacin-500mg-tab"], ["citalopram-20mg-tab"], ("DD", "warning")),
    ("escitalopram with azithromycin", ADULT, ["azithromycin-250mg-tab"], ["escitalopram-10mg-tab"], ("DD", "warning")),
    ("contraceptive with carbamazepine", WOMAN, ["carbamazepine-200mg-tab"],
     ["ethinylestradiol-levonorgestrel-30-150mcg-tab"], ("DD", "warning")),
    ("codeine with diazepam", ADULT, ["codeine-30mg-tab"], ["diazepam-5mg-tab"], ("DD", "warning")),
    ("tramadol with sertraline", ADULT, ["tramadol-50mg-cap"], ["sertraline-50mg-tab"], ("DD", "warning")),
    ("sumatriptan with fluoxetine", ADULT, ["sumatriptan-50mg-tab"], ["fluoxetine-20mg-cap"], ("DD", "warning")),
    ("paroxetine with metoprolol", ADULT, ["paroxetine-20mg-tab"], ["metoprolol-50mg-tab"], ("DD", "warning")),
    ("low-dose aspirin with ibuprofen", ADULT, ["ibuprofen-200mg-tab"], ["aspirin-100mg-tab"], ("DD", "warning")),
    ("tamsulosin with ketoconazole", ADULT, ["ketoconazole-200mg-tab"], ["tamsulosin-0.4mg-mr-cap"], ("DD", "warning")),
    ("two SSRIs", ADULT, ["sertraline-50mg-tab", "escitalopram-10mg-tab"], [], ("TD", "warning")),
    ("two NSAIDs", ADULT, ["ibuprofen-400mg-tab", "diclofenac-50mg-tab"], [], ("TD", "warning")),
    ("isotretinoin in pregnancy", replace(WOMAN, pregnant=True), ["isotretinoin-20mg-cap"], [], ("PG", "blocking")),
    ("codeine for an 8-year-old", replace(ADULT, birth_date=born_years_ago(8), weight_kg=25), ["codeine-30mg-tab"],
     [], ("PA", "blocking")),
]


@pytest.mark.parametrize("patient, new, active, expected",
                         [pytest.param(*case[1:], id=case[0]) for case in CLINICAL_CASES])
def test_clinical_case(patient, new, active, expected):
    findings = run([item(d) for d in new], patient, active=[item(d) for d in active])
    assert has(findings, *expected)


def test_amoxicillin_for_a_penicillin_allergic_patient_blocks_and_cefalexin_warns():
    patient = replace(ADULT, allergies=(Allergy("Penicillin", "hives"),))
    assert codes(run([item("amoxicillin-500mg-cap")], patient)) == [("DA", "blocking", "DA.group")]
    assert codes(run([item("cefalexin-500mg-cap")], patient)) == [("DA", "warning", "DA.group-cross-reactivity")]


def test_paracetamol_six_grams_a_day_is_a_high_dose_warning():
    findings = run([item("paracetamol-500mg-tab", dose=1000, unit="mg", per_day=6)])
    assert codes(findings) == [("HD", "warning", "HD.above-maximum")]
    assert "6000 mg a day" in findings[0].message and "4000 mg a day" in findings[0].message


def test_ten_days_in_cn_is_an_mx_warning_and_forty_days_blocks():
    assert codes(run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3, days=10)])) == [
        ("MX", "warning", "MX.standard-limit")]
    assert codes(run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3, days=40)])) == [
        ("MX", "blocking", "MX.absolute-maximum")]


def test_a_penicillin_allergy_gives_exactly_one_blocking_da_for_amoxicillin():
    patient = PatientFacts(birth_date=date(1985, 1, 1), sex="female", pregnant=None, weight_kg=None,
                           allergies=(Allergy("penicillin"),))
    safety = split(run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3)], patient))
    assert [f["code"] for f in safety["blocking"]] == ["DA"] and safety["warnings"] == []


@pytest.mark.parametrize("born, expected", [
    (date(2026, 11, 25), 0), (date(2026, 10, 26), 0), (date(2026, 10, 25), 1), (date(2025, 11, 25), 12),
    (date(1980, 5, 17), 558), (None, None),
])
def test_age_in_months_counts_completed_months(born, expected):
    assert age_in_months(born, TODAY) == expected
