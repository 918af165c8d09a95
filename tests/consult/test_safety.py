"""Safety checks as specifications: every DUR code flags its case and passes a safe one; every
interaction in the table is flagged in both orders with its severity; and clinical cases."""

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import yaml

from consult.formulary import get_formulary, load_formulary
from consult.policy import get_policy
from consult.safety import check, split
from consult.safety_facts import (
    Allergy,
    Finding,
    Item,
    PatientFacts,
    age_in_months,
    daily_dose_mg,
)

FORMULARY = get_formulary()
TODAY = date(2026, 11, 25)
# A recent normal eGFR and a recorded ancestry: the renal and genotype prompts stay out of other rules' tests.
ADULT = PatientFacts(birth_date=date(1980, 5, 17), sex="male", pregnant=None, weight_kg=70, egfr=90,
                     egfr_measured_on=date(2026, 6, 1), ancestry=("european",))
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


def only(code, findings):
    return [f for f in findings if f.code == code]


def label_source(drug_id, fact):
    """The citation drugs.yaml gives for one fact about a drug, as a finding cites it."""
    return f"drugs.yaml 2026.11.1 #{drug_id}: {dict(FORMULARY.drugs[drug_id].sources)[fact]}"


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


def test_every_unknown_drug_is_named_in_the_refusal():
    unknown = [Item(drug_id, Decimal(1), "tablet", Decimal(1), "oral", 7, 7) for drug_id in ("zzz-drug", "aaa-drug")]
    with pytest.raises(ValueError, match=r"^not in the formulary: aaa-drug, zzz-drug$"):
        run([item("paracetamol-500mg-tab"), *unknown])


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


def test_an_interaction_finding_names_both_drugs_the_severity_and_the_table_rule():
    rule = FORMULARY.interactions_between("sildenafil-50mg-tab", "nitroglycerin-0.5mg-sl-tab")[0]
    assert run([item("sildenafil-50mg-tab")], active=[item("nitroglycerin-0.5mg-sl-tab")]) == [Finding(
        "DD", "blocking", ("sildenafil-50mg-tab", "nitroglycerin-0.5mg-sl-tab"),
        f"sildenafil + nitroglycerin (active prescription): contraindicated interaction. {rule.effect} "
        f"{rule.management}", "DD.interaction-table",
        f"interactions.yaml 2026.11.1 #nitrate-pde5-inhibitor: {rule.source}")]


@pytest.mark.parametrize("reported, named", [("warfarin-3mg-tab", "ibuprofen + warfarin"),
                                             ("Coumadin", "ibuprofen + warfarin ('Coumadin')")])
def test_a_current_medication_is_named_as_the_patient_gave_it_unless_by_drug_id(reported, named):
    findings = run([item("ibuprofen-400mg-tab")], replace(ADULT, current_medications=(reported,)))
    assert [f.message.split(":")[0] for f in only("DD", findings)] == [named]


def test_the_dose_of_an_active_prescription_decides_a_dose_dependent_interaction():
    at_20 = run([item("amlodipine-5mg-tab")], active=[item("simvastatin-20mg-tab", dose=20, unit="mg")])
    at_40 = run([item("amlodipine-5mg-tab")], active=[item("simvastatin-20mg-tab", dose=40, unit="mg")])
    assert [f.message.split(".")[0] for f in only("DD", at_20)] == [
        "amlodipine + simvastatin (active prescription): moderate interaction"]
    assert [f.message.split(".")[0] for f in only("DD", at_40)] == [
        "amlodipine + simvastatin (active prescription): major interaction"]


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


def test_an_ingredient_allergy_names_every_shared_ingredient():
    patient = replace(ADULT, allergies=(Allergy("Augmentin"),))
    assert only("DA", run([item("amoxicillin-clavulanate-500-125mg-tab")], patient)) == [Finding(
        "DA", "blocking", ("amoxicillin-clavulanate-500-125mg-tab",),
        "Documented allergy to Augmentin: amoxicillin + clavulanic acid contains amoxicillin, clavulanic acid.",
        "DA.ingredient", "drugs.yaml 2026.11.1 #amoxicillin-clavulanate-500-125mg-tab: ingredients")]


def test_a_group_allergy_names_the_reaction_and_the_group_and_cites_the_allergy_terms():
    patient = replace(ADULT, allergies=(Allergy("Penicillin", "hives"),))
    assert run([item("amoxicillin-500mg-cap")], patient) == [Finding(
        "DA", "blocking", ("amoxicillin-500mg-cap",),
        "Documented allergy to Penicillin (hives): amoxicillin belongs to the same group (Penicillins).",
        "DA.group", f"allergy_terms.yaml 2026.11.1 #penicillins: {FORMULARY.allergy_groups['penicillins'].source}")]


def test_a_cross_reactivity_finding_names_both_groups_and_the_note():
    cross = FORMULARY.allergy_groups["penicillins"].cross_reactivity[0]
    patient = replace(ADULT, allergies=(Allergy("Penicillin"),))
    assert run([item("cefalexin-500mg-cap")], patient) == [Finding(
        "DA", "warning", ("cefalexin-500mg-cap",),
        f"Documented allergy to Penicillin: cefalexin (Cephalosporins) may cross-react with Penicillins. {cross.note}",
        "DA.group-cross-reactivity", f"allergy_terms.yaml 2026.11.1 #penicillins: {cross.source}")]


def test_an_allergy_recorded_as_plain_text_is_checked_like_a_documented_one():
    patient = replace(ADULT, allergies=("penicillin",))
    assert codes(run([item("amoxicillin-500mg-cap")], patient)) == [("DA", "blocking", "DA.group")]


# ---- PG: pregnancy -----------------------------------------------------------------------------

@pytest.mark.parametrize("drug_id, pregnant, sex, born, severity, rule", [
    ("isotretinoin-20mg-cap", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("warfarin-3mg-tab", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("lisinopril-10mg-tab", True, "female", date(1995, 1, 1), "blocking", "PG.contraindicated"),
    ("ibuprofen-200mg-tab", True, "female", date(1995, 1, 1), "warning", "PG.gestational-age-unknown"),
    ("sertraline-50mg-tab", True, "female", date(1995, 1, 1), "warning", "PG.caution"),
    ("isotretinoin-20mg-cap", None, "female", date(1995, 1, 1), "warning", "PG.pregnancy-unknown"),
    ("methotrexate-2.5mg-tab", None, "female", born_years_ago(12), "warning", "PG.pregnancy-unknown"),
    ("finasteride-5mg-tab", None, "female", born_years_ago(55), "warning", "PG.pregnancy-unknown"),
    ("finasteride-5mg-tab", None, "female", born_years_ago(55, 11), "warning", "PG.pregnancy-unknown"),
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


@pytest.mark.parametrize("drug_id, pregnant, message, rule", [
    ("isotretinoin-20mg-cap", True, "isotretinoin is contraindicated in pregnancy.", "PG.contraindicated"),
    ("sertraline-50mg-tab", True, "sertraline: use in pregnancy only if clearly needed.", "PG.caution"),
    ("itraconazole-100mg-cap", None, "itraconazole is contraindicated in pregnancy and pregnancy status is not "
                                     "recorded: confirm the patient is not pregnant.", "PG.pregnancy-unknown"),
])
def test_a_pregnancy_finding_gives_the_labels_note_and_cites_its_pregnancy_section(drug_id, pregnant, message, rule):
    severity = "blocking" if rule == "PG.contraindicated" else "warning"
    note = FORMULARY.drugs[drug_id].pregnancy_note
    assert only("PG", run([item(drug_id)], replace(WOMAN, pregnant=pregnant))) == [Finding(
        "PG", severity, (drug_id,), f"{message} {note}", rule, label_source(drug_id, "pregnancy"))]


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


def test_an_age_finding_gives_the_minimum_age_and_its_reason_and_cites_the_label():
    reason = FORMULARY.drugs["codeine-30mg-tab"].min_age.reason
    child = replace(ADULT, birth_date=born_years_ago(8), weight_kg=25)
    assert run([item("codeine-30mg-tab")], child) == [Finding(
        "PA", "blocking", ("codeine-30mg-tab",), f"codeine is not for patients under 12 years: {reason}",
        "PA.minimum-age", label_source("codeine-30mg-tab", "age"))]
    assert run([item("codeine-30mg-tab")], replace(ADULT, birth_date=None)) == [Finding(
        "PA", "warning", ("codeine-30mg-tab",),
        "codeine has a minimum age of 12 years and the patient's age is not recorded.", "PA.age-unknown",
        label_source("codeine-30mg-tab", "age"))]


def test_every_new_drug_is_checked_for_its_minimum_age_whatever_comes_before_it():
    child = replace(ADULT, birth_date=born_years_ago(8), weight_kg=25)
    findings = run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3), item("codeine-30mg-tab")], child)
    assert codes(findings) == [("PA", "blocking", "PA.minimum-age")]


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
    ("amoxicillin-500mg-cap", 1, "g", 3, replace(ADULT, birth_date=born_years_ago(15), weight_kg=60)),
    ("nitroglycerin-0.5mg-sl-tab", 1, "tablet", 6, ADULT),  # as needed, no established daily maximum
])
def test_a_daily_dose_within_the_maximum_gives_no_hd(drug_id, dose, unit, per_day, patient):
    assert not [f for f in run([item(drug_id, dose=dose, unit=unit, per_day=per_day)], patient) if f.code == "HD"]


def test_above_the_maximum_gives_the_daily_dose_and_the_limit_that_applies_to_this_child():
    child = replace(ADULT, birth_date=born_years_ago(3), weight_kg=15)
    assert run([item("amoxicillin-500mg-cap", dose=500, unit="mg", per_day=3)], child) == [Finding(
        "HD", "warning", ("amoxicillin-500mg-cap",),
        "amoxicillin: 1500 mg a day is above the child maximum 90 mg/kg/day for 15 kg (1350 mg a day).",
        "HD.above-maximum", label_source("amoxicillin-500mg-cap", "dose"))]


def test_a_child_maximum_in_mg_a_day_does_not_depend_on_the_weight():
    teenager = replace(ADULT, birth_date=born_years_ago(17), weight_kg=70)
    assert run([item("atorvastatin-20mg-tab", dose=40, unit="mg")], teenager) == [Finding(
        "HD", "warning", ("atorvastatin-20mg-tab",),
        "atorvastatin: 40 mg a day is above the child maximum 20 mg/day (20 mg a day).",
        "HD.above-maximum", label_source("atorvastatin-20mg-tab", "dose"))]


def test_from_the_18th_birthday_the_adult_maximum_applies():
    adult = replace(ADULT, birth_date=born_years_ago(18), weight_kg=70)
    assert run([item("atorvastatin-20mg-tab", dose=40, unit="mg")], adult) == []


def test_the_lower_maximum_for_older_patients_applies_from_the_birthday_it_names():
    sixty = replace(ADULT, birth_date=born_years_ago(60))
    assert [f.message for f in run([item("citalopram-20mg-tab", dose=40, unit="mg")], sixty)] == [
        "citalopram: 40 mg a day is above the maximum from 60 years 20 mg/day (20 mg a day)."]


@pytest.mark.parametrize("years", [6, 12, 15, 17])
def test_a_childs_missing_weight_never_falls_back_to_the_adult_maximum(years):
    # 3 g amoxicillin a day is within the adult maximum; for a child it depends on the weight (90 mg/kg).
    child = replace(ADULT, birth_date=born_years_ago(years), weight_kg=None)
    findings = run([item("amoxicillin-500mg-cap", dose=1, unit="g", per_day=3)], child)
    assert codes(findings) == [("HD", "blocking", "HD.child-weight-needed")]
    assert findings[0].message == (
        "amoxicillin: cannot verify the dose for a child: the child maximum 90 mg/kg/day depends on body weight, "
        "which is not recorded, and the adult maximum does not apply to children. Record the weight.")


def test_from_the_age_its_source_gives_the_adult_dose_a_child_needs_no_weight():
    # Paracetamol Drug Facts: "adults and children 12 years and over"; under 12, 75 mg/kg.
    assert run([item("paracetamol-500mg-tab", dose=1, unit="g", per_day=4)],
               replace(ADULT, birth_date=born_years_ago(12), weight_kg=None)) == []
    assert codes(run([item("paracetamol-500mg-tab", dose=1, unit="g", per_day=5)],
                     replace(ADULT, birth_date=born_years_ago(12), weight_kg=None))) == [
        ("HD", "warning", "HD.above-maximum")]
    assert codes(run([item("paracetamol-500mg-tab", dose=500, unit="mg", per_day=4)],
                     replace(ADULT, birth_date=born_years_ago(11), weight_kg=None))) == [
        ("HD", "blocking", "HD.child-weight-needed")]


def test_a_weight_of_zero_is_no_weight():
    child = replace(ADULT, birth_date=born_years_ago(6), weight_kg=0)
    findings = run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3)], child)
    assert codes(findings) == [("HD", "blocking", "HD.child-weight-needed")]


def test_a_dose_by_weight_without_a_weight_says_which_maximum_needs_it():
    assert run([item("isotretinoin-20mg-cap", dose=40, unit="mg")], replace(ADULT, weight_kg=None)) == [Finding(
        "HD", "warning", ("isotretinoin-20mg-cap",),
        "isotretinoin: the adult maximum 1 mg/kg/day depends on body weight, which is not recorded; record the "
        "weight to check the dose.", "HD.weight-needed", label_source("isotretinoin-20mg-cap", "dose"))]


def test_doses_given_as_floats_are_checked_as_exact_decimals():
    drug = FORMULARY.drugs["paracetamol-500mg-tab"]
    assert daily_dose_mg(drug, Item(drug.id, 0.5, "g", 3.0, "oral", 7, 21)) == Decimal(1500)


def test_the_daily_dose_adds_up_every_item_of_the_same_drug():
    items = [item("paracetamol-500mg-tab", dose=2, per_day=3), item("paracetamol-500mg-tab", dose=2, per_day=2)]
    assert ("HD", "warning", "HD.above-maximum") in codes(run(items))


def test_a_child_dose_by_weight_needs_the_weight():
    child = replace(ADULT, birth_date=born_years_ago(6), weight_kg=None)
    findings = run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3)], child)
    assert codes(findings) == [("HD", "blocking", "HD.child-weight-needed")]


def test_a_child_maximum_never_exceeds_the_adult_maximum():
    teenager = replace(ADULT, birth_date=born_years_ago(16), weight_kg=80)  # 90 mg/kg would be 7.2 g
    findings = run([item("amoxicillin-500mg-cap", dose=1, unit="g", per_day=4)], teenager)
    assert ("HD", "warning", "HD.above-maximum") in codes(findings)


def test_methotrexate_every_day_is_flagged_even_below_the_weekly_maximum():
    assert run([item("methotrexate-2.5mg-tab", dose=2.5, unit="mg", per_day=1)]) == [Finding(
        "HD", "warning", ("methotrexate-2.5mg-tab",),
        "methotrexate is dosed once WEEKLY; this item gives it every day. Daily dosing in error has caused fatal "
        "toxicity.", "HD.weekly-drug-dosed-daily", label_source("methotrexate-2.5mg-tab", "dose"))]


def test_a_dose_unit_that_cannot_be_converted_is_a_warning_not_a_silent_pass():
    assert run([item("paracetamol-500mg-tab", dose=5, unit="mL")]) == [Finding(
        "HD", "warning", ("paracetamol-500mg-tab",),
        "paracetamol: a dose in 'mL' cannot be checked against the maximum for 500 mg tablet; prescribe in mg or "
        "units of the form.", "HD.unit-not-checkable", label_source("paracetamol-500mg-tab", "dose"))]
    assert codes(run([item("salbutamol-100mcg-inhaler", dose=1, unit="tablet")])) == [
        ("HD", "warning", "HD.unit-not-checkable")]


def test_an_item_that_cannot_be_checked_does_not_stop_the_check_of_the_next():
    findings = run([item("paracetamol-500mg-tab", dose=5, unit="mL"), item("ibuprofen-400mg-tab", dose=800, unit="mg",
                                                                          per_day=4)])
    assert codes(findings) == [("HD", "warning", "HD.above-maximum"), ("HD", "warning", "HD.unit-not-checkable")]


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


@pytest.mark.parametrize("new, active, reported, message, rule, source", [
    (["sertraline-50mg-tab", "fluoxetine-20mg-cap"], [], (),
     "sertraline and fluoxetine duplicate therapy (both are ssri). Prescribe one of them.",
     "TD.same-class", "drugs.yaml 2026.11.1: therapeutic_class ssri"),
    (["ibuprofen-400mg-tab"], ["naproxen-220mg-tab"], (),
     "ibuprofen and naproxen (active prescription) duplicate therapy (both are nsaid). The other is on an active "
     "prescription: cancel it or state why both are needed.", "TD.same-class",
     "drugs.yaml 2026.11.1: therapeutic_class nsaid"),
    (["amoxicillin-clavulanate-500-125mg-tab"], [], ("Augmentin",),
     "amoxicillin + clavulanic acid and amoxicillin + clavulanic acid ('Augmentin') duplicate therapy (both contain "
     "amoxicillin, clavulanic acid). The patient reports taking it: make sure this replaces it rather than adds to "
     "it.", "TD.same-ingredient", "drugs.yaml 2026.11.1: ingredients"),
])
def test_a_duplication_says_what_is_shared_and_what_to_do_about_the_other_drug(new, active, reported, message, rule,
                                                                               source):
    findings = run([item(d) for d in new], replace(ADULT, current_medications=reported),
                   active=[item(d) for d in active])
    assert [(f.severity, f.message, f.rule, f.source) for f in only("TD", findings)] == [
        ("warning", message, rule, source)]


def test_every_pair_of_duplicates_is_its_own_finding():
    findings = run([item(d) for d in ("sertraline-50mg-tab", "amoxicillin-500mg-cap", "fluoxetine-20mg-cap",
                                      "citalopram-20mg-tab")])
    assert {f.drugs for f in only("TD", findings)} == {
        ("sertraline-50mg-tab", "fluoxetine-20mg-cap"), ("sertraline-50mg-tab", "citalopram-20mg-tab"),
        ("fluoxetine-20mg-cap", "citalopram-20mg-tab")}


def test_a_reported_name_that_matches_several_strengths_is_one_duplication():
    patient = replace(ADULT, current_medications=("aspirin", "ibuprofen"))
    findings = run([item("aspirin-500mg-tab")], patient)
    assert [(f.drugs, f.rule) for f in only("TD", findings)] == [
        (("aspirin-500mg-tab", "aspirin-100mg-tab"), "TD.same-ingredient"),
        (("aspirin-500mg-tab", "ibuprofen-200mg-tab"), "TD.same-class")]


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


def test_an_mx_finding_gives_the_days_and_the_limit_it_passes():
    cn = get_policy("cn")
    assert run([item("metformin-500mg-tab", days=10)]) == [Finding(
        "MX", "warning", ("metformin-500mg-tab",),
        "metformin: 10 days' supply is beyond the standard limit of 7 days; state the reason (e.g. a stable chronic "
        "condition).", "MX.standard-limit", f"cn.days-supply-7: {cn.rule('cn.days-supply-7').citation}")]
    assert run([item("metformin-500mg-tab", days=40)]) == [Finding(
        "MX", "blocking", ("metformin-500mg-tab",),
        "metformin: 40 days' supply is beyond the absolute maximum of 30 days.", "MX.absolute-maximum",
        f"cn.days-supply-max-30: {cn.rule('cn.days-supply-max-30').citation}")]


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


# ---- rules the shipped data does not exercise yet, on a small formulary of its own ----------------

def small_formulary(directory):
    """Drugs in two allergy groups at once and a pair with two interaction rules: no shipped drug is either."""
    def drug(drug_id, atc, groups, classes=()):
        return {"id": drug_id, "generic_name": drug_id.split("-")[0], "generic_name_zh": "试验药" + drug_id[0], "strength": "1 mg", "strength_amount": 1,
                "strength_unit": "mg", "form": "tablet", "route": "oral", "atc_code": atc, "rx_class": "rx",
                "us_schedule": None, "cn_special_class": None, "therapeutic_class": drug_id.split("-")[0],
                "interaction_classes": list(classes), "max_daily_dose_adult": {"amount": 10, "unit": "mg"},
                "pregnancy": "none", "allergy_groups": groups,
                "sources": {"atc": "REF", "legal": "REF", "dose": "REF", "pregnancy": "REF"}}

    def group(severity, cross=()):
        return {"label": "L", "terms": [], "member_severity": severity, "source": "REF",
                "cross_reactivity": [{"group": g, "severity": s, "note": "n", "source": "REF"} for g, s in cross]}

    def rule(rule_id, severity, **extra):
        return {"id": rule_id, "between": ["aaa", "dees"], "severity": severity, "effect": "e", "management": "m",
                "source": "REF", **extra}

    groups = {"alphas": group("warning"), "betas": group("blocking"), "ones": group("blocking"),
              "twos": group("blocking"), "exes": group("blocking", [("ones", "warning"), ("twos", "blocking")])}
    for name, data in groups.items():
        data["terms"] = [name]
    rules = [rule("aaa-ddd-above-2-mg", "major", dose_condition={
                 "ingredient": "aaa", "above": {"amount": 2, "unit": "mg"}, "otherwise": None}),
             rule("aaa-ddd-any-dose", "moderate")]
    files = {
        "references.yaml": {"version": "1", "references": {"REF": "A reference"}},
        "drugs.yaml": {"version": "1", "drugs": [drug("aaa-1mg-tab", "A01AA01", ["alphas", "betas"]),
                                                 drug("ccc-1mg-tab", "A01AA03", ["ones", "twos"]),
                                                 drug("ddd-1mg-tab", "A01AA04", [], ["dees"])]},
        "interactions.yaml": {"version": "1", "classes": {"dees": {"description": "d", "source": "REF"}},
                              "interactions": rules},
        "allergy_terms.yaml": {"version": "1", "groups": groups},
        "disease_rules.yaml": {"version": "1"},
    }
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_formulary(directory)


def check_small(tmp_path, drug_ids, allergy=None):
    patient = replace(ADULT, allergies=(Allergy(allergy),) if allergy else ())
    items = [Item(d, Decimal(1), "tablet", Decimal(1), "oral", 7, 7) for d in drug_ids]
    return check(formulary=small_formulary(tmp_path), patient=patient, items=items, today=TODAY,
                 policy=get_policy("cn"))


def test_a_drug_in_two_groups_the_patient_is_allergic_to_gets_the_more_severe_group(tmp_path):
    findings = check_small(tmp_path, ["aaa-1mg-tab"], allergy="alphas and betas")
    assert [(f.severity, f.rule, f.source) for f in findings] == [("blocking", "DA.group",
                                                                   "allergy_terms.yaml 1 #betas: REF")]


def test_of_two_cross_reactions_the_more_severe_is_reported(tmp_path):
    findings = check_small(tmp_path, ["ccc-1mg-tab"], allergy="exes")
    assert [(f.severity, f.rule, f.message) for f in findings] == [
        ("blocking", "DA.group-cross-reactivity", "Documented allergy to exes: ccc (L) may cross-react with L. n")]


def test_an_interaction_rule_that_does_not_apply_at_this_dose_does_not_hide_another_for_the_same_pair(tmp_path):
    findings = check_small(tmp_path, ["aaa-1mg-tab", "ddd-1mg-tab"])
    assert [(f.code, f.severity, f.source) for f in findings] == [
        ("DD", "warning", "interactions.yaml 1 #aaa-ddd-any-dose: REF")]


@pytest.mark.parametrize("born, expected", [
    (date(2026, 11, 25), 0), (date(2026, 10, 26), 0), (date(2026, 10, 25), 1), (date(2025, 11, 25), 12),
    (date(1980, 5, 17), 558), (None, None),
])
def test_age_in_months_counts_completed_months(born, expected):
    assert age_in_months(born, TODAY) == expected
