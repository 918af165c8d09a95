"""Rules on the patient's state as specifications: the week of pregnancy, teratogens when pregnancy
cannot be excluded, recorded conditions (DC), renal function (DC, TN) and genotypes (DL, TN)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from consult.patient_rules import gestational_week
from consult.safety_facts import Finding
from tests.consult.test_safety import (
    ADULT,
    FORMULARY,
    TODAY,
    WOMAN,
    born_years_ago,
    codes,
    item,
    only,
    run,
)

VERSION = FORMULARY.version


def rule_source(kind, rule_id):
    rules = {"weeks": FORMULARY.pregnancy_week_rules, "conditions": FORMULARY.condition_rules,
             "renal": FORMULARY.renal_rules, "genotypes": FORMULARY.genotype_rules}[kind]
    return f"disease_rules.yaml {VERSION} #{rule_id}: {next(r for r in rules if r.id == rule_id).source}"


def due_at_week(week: int) -> date:
    """The expected delivery date that makes TODAY the first day of week `week` completed."""
    return TODAY + timedelta(days=280 - 7 * week)


def pregnant_at(week):
    return replace(WOMAN, pregnant=True, pregnancy_due_date=None if week is None else due_at_week(week))


# ---- PG: the week of pregnancy ----------------------------------------------------------------

@pytest.mark.parametrize("due, week", [
    (TODAY + timedelta(days=280), 0), (TODAY + timedelta(days=140), 20), (TODAY + timedelta(days=141), 19),
    (TODAY, 40), (TODAY - timedelta(days=28), 44), (TODAY - timedelta(days=35), None),
    (TODAY + timedelta(days=281), None), (None, None),
])
def test_the_gestational_week_counts_back_280_days_from_the_expected_delivery_date(due, week):
    assert gestational_week(due, TODAY) == week


@pytest.mark.parametrize("drug_id, week, severity, rule", [
    ("ibuprofen-200mg-tab", 20, "warning", "PG.gestational-week"),
    ("naproxen-220mg-tab", 29, "warning", "PG.gestational-week"),
    ("diclofenac-50mg-tab", 30, "blocking", "PG.gestational-week"),
    ("aspirin-500mg-tab", 36, "blocking", "PG.gestational-week"),
    ("ibuprofen-400mg-tab", 19, "warning", "PG.caution"),
    ("ibuprofen-400mg-tab", None, "warning", "PG.gestational-age-unknown"),
    ("ibuprofen-400mg-tab", 50, "warning", "PG.gestational-age-unknown"),  # a due date long past: out of date
])
def test_nsaids_are_avoided_from_week_20_and_blocked_from_week_30(drug_id, week, severity, rule):
    assert [(f.severity, f.rule) for f in only("PG", run([item(drug_id)], pregnant_at(week)))] == [(severity, rule)]


@pytest.mark.parametrize("drug_id, patient", [
    ("aspirin-100mg-tab", pregnant_at(32)),  # low-dose aspirin is outside the FDA's NSAID warning
    ("paracetamol-500mg-tab", pregnant_at(32)),
    ("ibuprofen-200mg-tab", replace(WOMAN, pregnant=False, pregnancy_due_date=due_at_week(32))),
])
def test_no_week_rule_for_low_dose_aspirin_other_drugs_or_a_patient_not_pregnant(drug_id, patient):
    assert only("PG", run([item(drug_id)], patient)) == []


def test_a_week_finding_gives_the_week_the_rule_and_the_fda_communication():
    rule = next(r for r in FORMULARY.pregnancy_week_rules if r.id == "nsaid-from-week-20")
    assert only("PG", run([item("ibuprofen-200mg-tab")], pregnant_at(24))) == [Finding(
        "PG", "warning", ("ibuprofen-200mg-tab",), f"ibuprofen at 24 weeks of pregnancy (from week 20): {rule.advice}",
        "PG.gestational-week", rule_source("weeks", "nsaid-from-week-20"))]


# ---- PG: teratogens when pregnancy cannot be excluded -------------------------------------------

@pytest.mark.parametrize("drug_id", ["carbamazepine-200mg-tab", "phenytoin-100mg-cap", "lithium-carbonate-300mg-tab",
                                     "warfarin-3mg-tab", "methotrexate-2.5mg-tab", "valsartan-80mg-tab"])
def test_a_teratogen_for_someone_who_could_be_pregnant_asks_first(drug_id):
    drug = FORMULARY.drugs[drug_id]
    assert only("PG", run([item(drug_id)], WOMAN)) == [Finding(
        "PG", "warning", (drug_id,), f"{drug.generic_name} can harm an unborn child ({drug.teratogen.harm}) and "
        "pregnancy status is not recorded: confirm the patient is not pregnant.", "PG.pregnancy-unknown",
        f"drugs.yaml {VERSION} #{drug_id}: teratogen: {drug.teratogen.source}")]


@pytest.mark.parametrize("drug_id, patient", [
    ("carbamazepine-200mg-tab", ADULT),
    ("carbamazepine-200mg-tab", replace(WOMAN, pregnant=False)),
    ("lithium-carbonate-300mg-tab", replace(WOMAN, birth_date=born_years_ago(60))),
    ("amoxicillin-500mg-cap", WOMAN),
])
def test_no_teratogen_prompt_when_pregnancy_is_excluded_or_the_drug_is_not_one(drug_id, patient):
    assert only("PG", run([item(drug_id)], patient)) == []


# ---- PG: statins, by the jurisdiction's labels ----------------------------------------------------

@pytest.mark.parametrize("drug_id", ["atorvastatin-20mg-tab", "simvastatin-20mg-tab", "rosuvastatin-10mg-tab"])
@pytest.mark.parametrize("policy, patient, expected", [
    # FDA 2021: no longer contraindicated; discontinue in most pregnant patients (a warning needing a reason).
    ("us", "pregnant", [("PG", "warning", "PG.caution")]),
    ("us", "unknown", []),
    # The Chinese labels keep 孕妇禁用.
    ("cn", "pregnant", [("PG", "blocking", "PG.contraindicated")]),
    ("cn", "unknown", [("PG", "warning", "PG.pregnancy-unknown")]),
    ("cn", "not pregnant", []),
])
def test_a_statin_in_pregnancy_follows_the_jurisdictions_labels(drug_id, policy, patient, expected):
    patients = {"pregnant": pregnant_at(12), "unknown": WOMAN, "not pregnant": replace(WOMAN, pregnant=False)}
    findings = only("PG", run([item(drug_id)], patients[patient], policy=policy))
    assert codes(findings) == expected
    for finding in findings:
        assert ("FDA-DSC: 2021-07-20" in finding.source) is (policy == "us")
        assert ("孕妇禁用" in finding.source) is (policy == "cn")


# ---- DC: recorded conditions ---------------------------------------------------------------------

CONDITION_CASES = [  # (drug, recorded ICD-10 code, severity, rule in disease_rules.yaml)
    ("ibuprofen-400mg-tab", "I50.9", "warning", "nsaid-heart-failure"),
    ("naproxen-220mg-tab", "K92.2", "blocking", "nsaid-gastrointestinal-bleeding"),
    ("diclofenac-50mg-tab", "K25.9", "warning", "nsaid-peptic-ulcer"),
    ("aspirin-100mg-tab", "J45.909", "warning", "nsaid-aspirin-asthma"),
    ("metoprolol-50mg-tab", "J45", "warning", "beta-blocker-asthma"),
    ("bisoprolol-5mg-tab", "I44.2", "blocking", "beta-blocker-heart-block"),
    ("ciprofloxacin-500mg-tab", "G70.0", "warning", "fluoroquinolone-myasthenia-gravis"),
    ("levofloxacin-500mg-tab", "I71.2", "warning", "fluoroquinolone-aortic-aneurysm"),
    ("citalopram-20mg-tab", "I45.81", "warning", "qt-drug-long-qt"),
    ("tramadol-50mg-cap", "G40.909", "warning", "tramadol-epilepsy"),
    ("sumatriptan-50mg-tab", "I25.10", "blocking", "triptan-vascular-disease"),
    ("amitriptyline-25mg-tab", "I21.4", "blocking", "amitriptyline-recent-myocardial-infarction"),
    ("phenelzine-15mg-tab", "K74.60", "blocking", "phenelzine-heart-failure-liver-disease"),
    ("methotrexate-2.5mg-tab", "K70.30", "blocking", "methotrexate-liver-disease"),
    ("spironolactone-25mg-tab", "E87.5", "blocking", "spironolactone-hyperkalaemia-addison"),
    ("potassium-chloride-750mg-mr-tab", "E87.5", "blocking", "potassium-chloride-hyperkalaemia"),
    ("levothyroxine-50mcg-tab", "E27.1", "blocking", "levothyroxine-adrenal-insufficiency"),
    ("ethinylestradiol-levonorgestrel-30-150mcg-tab", "G43.109", "blocking",
     "combined-contraceptive-thrombosis-migraine-breast-cancer"),
    ("empagliflozin-10mg-tab", "E10.9", "warning", "empagliflozin-type-1-diabetes"),
    ("ibuprofen-200mg-tab", "i509", "warning", "nsaid-heart-failure"),  # lower case, no dot
]


@pytest.mark.parametrize("drug_id, code, severity, rule_id", CONDITION_CASES)
def test_a_recorded_condition_flags_the_drugs_its_rule_names(drug_id, code, severity, rule_id):
    findings = only("DC", run([item(drug_id)], replace(ADULT, conditions=((code, "as recorded"),))))
    assert [(f.severity, f.rule, f.source) for f in findings] == [
        (severity, "DC.condition-table", rule_source("conditions", rule_id))]


@pytest.mark.parametrize("drug_id, code", [
    ("ibuprofen-400mg-tab", "I10"),  # hypertension
    ("aspirin-100mg-tab", "I50.9"),  # low-dose aspirin is not an NSAID here
    ("metoprolol-50mg-tab", "J44.9"),  # COPD
    ("bisoprolol-5mg-tab", "I44.0"),  # first-degree block
    ("ciprofloxacin-500mg-tab", "G43.909"),
    ("citalopram-20mg-tab", "I10"),
    ("amitriptyline-25mg-tab", "I25.2"),  # an old infarction, not the acute phase
    ("spironolactone-25mg-tab", "E87.6"),  # hypokalaemia
    ("levothyroxine-50mcg-tab", "E03.9"),
    ("ethinylestradiol-levonorgestrel-30-150mcg-tab", "G43.009"),  # migraine without aura
    ("empagliflozin-10mg-tab", "E11.9"),
    ("paracetamol-500mg-tab", "K92.2"),
])
def test_no_dc_for_a_condition_the_drug_has_no_rule_for(drug_id, code):
    assert only("DC", run([item(drug_id)], replace(ADULT, conditions=((code, "as recorded"),)))) == []


def test_a_condition_finding_names_the_code_never_the_patients_words():
    rule = next(r for r in FORMULARY.condition_rules if r.id == "nsaid-heart-failure")
    patient = replace(ADULT, conditions=(("I50.9", "my heart, Dr Wang's notes"),))
    assert only("DC", run([item("ibuprofen-400mg-tab")], patient)) == [Finding(
        "DC", "warning", ("ibuprofen-400mg-tab",),
        f"ibuprofen with heart failure (recorded condition I50.9): {rule.advice}", "DC.condition-table",
        rule_source("conditions", "nsaid-heart-failure"))]


# ---- DC and TN: renal function -----------------------------------------------------------------------

def kidneys(egfr, measured=date(2026, 10, 1)):
    return replace(ADULT, egfr=egfr, egfr_measured_on=measured if egfr is not None else None)


RENAL_CASES = [  # (drug, eGFR, severity, rule)
    ("metformin-500mg-tab", 25, "blocking", "metformin-egfr"),
    ("metformin-500mg-tab", 44, "warning", "metformin-egfr"),
    ("nitrofurantoin-100mg-mr-cap", 29, "blocking", "nitrofurantoin-egfr"),
    ("nitrofurantoin-100mg-mr-cap", 44, "warning", "nitrofurantoin-egfr"),
    ("ibuprofen-400mg-tab", 29, "warning", "nsaid-egfr"),
    ("lithium-carbonate-300mg-tab", 20, "warning", "lithium-egfr"),
    ("sulfamethoxazole-trimethoprim-800-160mg-tab", 10, "warning", "co-trimoxazole-egfr"),
    ("sulfamethoxazole-trimethoprim-800-160mg-tab", 20, "warning", "co-trimoxazole-egfr"),
    ("spironolactone-25mg-tab", 25, "warning", "spironolactone-egfr"),
    ("empagliflozin-10mg-tab", 25, "warning", "empagliflozin-egfr"),
]


@pytest.mark.parametrize("drug_id, egfr, severity, rule_id", RENAL_CASES)
def test_an_egfr_below_a_drugs_threshold_is_flagged(drug_id, egfr, severity, rule_id):
    findings = [f for f in run([item(drug_id)], kidneys(egfr)) if f.code in ("DC", "TN")]
    assert [(f.code, f.severity, f.rule, f.source) for f in findings] == [
        ("DC", severity, "DC.renal-threshold", rule_source("renal", rule_id))]


@pytest.mark.parametrize("drug_id, egfr", [
    ("metformin-500mg-tab", 45), ("nitrofurantoin-100mg-mr-cap", 45), ("ibuprofen-400mg-tab", 30),
    ("aspirin-100mg-tab", 20), ("sulfamethoxazole-trimethoprim-800-160mg-tab", 30), ("amoxicillin-500mg-cap", 10),
])
def test_no_renal_finding_at_or_above_the_threshold_or_for_a_drug_without_one(drug_id, egfr):
    assert [f for f in run([item(drug_id)], kidneys(egfr)) if f.code in ("DC", "TN")] == []


def test_the_band_below_the_lowest_threshold_gives_its_own_advice():
    metformin = next(r for r in FORMULARY.renal_rules if r.id == "metformin-egfr")
    assert only("DC", run([item("metformin-500mg-tab")], kidneys(25))) == [Finding(
        "DC", "blocking", ("metformin-500mg-tab",),
        f"metformin with an eGFR of 25 mL/min/1.73 m² (below 30): {metformin.bands[0].advice}",
        "DC.renal-threshold", rule_source("renal", "metformin-egfr"))]


@pytest.mark.parametrize("patient, expected", [
    (kidneys(None), [("TN", "warning", "TN.egfr-needed")]),
    (kidneys(90, TODAY - timedelta(days=366)), [("TN", "warning", "TN.egfr-needed")]),
    (kidneys(90, TODAY - timedelta(days=365)), []),
    (replace(ADULT, egfr=90, egfr_measured_on=None), [("TN", "warning", "TN.egfr-needed")]),
    (kidneys(25, TODAY - timedelta(days=800)), [("DC", "blocking", "DC.renal-threshold"),
                                                ("TN", "warning", "TN.egfr-needed")]),
])
def test_a_renally_cleared_drug_needs_an_egfr_from_the_last_12_months(patient, expected):
    assert codes(run([item("metformin-500mg-tab")], patient)) == expected


def test_a_missing_egfr_says_which_thresholds_it_is_needed_for():
    assert only("TN", run([item("nitrofurantoin-100mg-mr-cap")], kidneys(None)))[0].message == (
        "nitrofurantoin is cleared by the kidneys and has eGFR thresholds (30, 45 mL/min/1.73 m²), but no eGFR is "
        "recorded: record a current eGFR.")


@pytest.mark.parametrize("drug_id", ["ibuprofen-400mg-tab", "amoxicillin-500mg-cap"])
def test_no_egfr_is_asked_for_a_drug_not_cleared_by_the_kidneys(drug_id):
    assert only("TN", run([item(drug_id)], kidneys(None))) == []


# ---- DL and TN: genotypes before carbamazepine, phenytoin and allopurinol ---------------------------

def typed(ancestry=(), **results):
    return replace(ADULT, ancestry=tuple(ancestry), genotypes=tuple(results.items()))


HLA_B_1502, HLA_B_5801 = "HLA-B*15:02", "HLA-B*58:01"

GENOTYPE_CASES = [  # (drug, patient, expected findings)
    ("carbamazepine-200mg-tab", typed(["east-asian"]), [("TN", "warning", "TN.genotype-needed")]),
    # The label asks to screen by ancestry: an unrecorded ancestry is named as what is unknown.
    ("carbamazepine-200mg-tab", typed([]), [("TN", "warning", "TN.ancestry-unknown")]),
    ("carbamazepine-200mg-tab", typed(["european", "south-asian"]), [("TN", "warning", "TN.genotype-needed")]),
    ("carbamazepine-200mg-tab", typed(["european"]), []),
    ("carbamazepine-200mg-tab", typed(["east-asian"], **{HLA_B_1502: "negative"}), []),
    ("carbamazepine-200mg-tab", typed(["european"], **{HLA_B_1502: "positive"}), [("DL", "blocking", "DL.risk-genotype")]),
    ("carbamazepine-200mg-tab", typed(["east-asian"], **{"HLA-B*1502": "positive"}),
     [("DL", "blocking", "DL.risk-genotype")]),
    ("phenytoin-100mg-cap", typed(["south-asian"]), [("TN", "warning", "TN.genotype-needed")]),
    ("phenytoin-100mg-cap", typed(["african"]), []),
    ("phenytoin-100mg-cap", typed([]), []),  # its label asks for no screening: nothing to decide by ancestry
    ("allopurinol-100mg-tab", typed([]), [("TN", "warning", "TN.ancestry-unknown")]),
    ("allopurinol-100mg-tab", typed([], **{HLA_B_5801: "negative"}), []),
    ("allopurinol-100mg-tab", typed(["african"]), [("TN", "warning", "TN.genotype-needed")]),
    ("allopurinol-100mg-tab", typed(["south-asian"]), []),
    ("allopurinol-100mg-tab", typed(["east-asian"], **{HLA_B_5801: "positive"}), [("DL", "blocking", "DL.risk-genotype")]),
    ("allopurinol-100mg-tab", typed(["east-asian"], **{HLA_B_1502: "negative"}), [("TN", "warning", "TN.genotype-needed")]),
    ("amoxicillin-500mg-cap", typed([], **{HLA_B_1502: "positive"}), []),
]


@pytest.mark.parametrize("drug_id, patient, expected", GENOTYPE_CASES)
def test_an_untested_patient_at_risk_is_asked_for_the_genotype_and_a_positive_one_blocks(drug_id, patient, expected):
    findings = [f for f in run([item(drug_id)], patient) if f.code in ("DL", "TN")]
    assert codes(findings) == expected


def test_an_unrecorded_ancestry_is_named_as_what_is_unknown_never_a_block():
    rule = next(r for r in FORMULARY.genotype_rules if r.id == "hla-b-15-02-carbamazepine")
    assert only("TN", run([item("carbamazepine-200mg-tab")], typed([]))) == [Finding(
        "TN", "warning", ("carbamazepine-200mg-tab",),
        "carbamazepine: the patient's ancestry is not recorded and there is no HLA-B*15:02 result, so whether to "
        "test before starting cannot be decided (Stevens–Johnson syndrome and toxic epidermal necrolysis in "
        f"carriers). Record the ancestry, or the result. {rule.advice_untested}", "TN.ancestry-unknown",
        rule_source("genotypes", "hla-b-15-02-carbamazepine"))]
    assert "should be screened before starting" in rule.source


def test_every_genotype_rule_states_what_its_source_asks():
    assert {r.id: r.screen for r in FORMULARY.genotype_rules} == {
        "hla-b-15-02-carbamazepine": "ancestry-at-risk", "hla-b-15-02-phenytoin": "consider",
        "hla-b-58-01-allopurinol": "ancestry-at-risk"}


def test_a_genotype_finding_names_the_allele_the_harm_and_cites_the_label_and_cpic():
    rule = next(r for r in FORMULARY.genotype_rules if r.id == "hla-b-15-02-carbamazepine")
    source = rule_source("genotypes", "hla-b-15-02-carbamazepine")
    assert only("TN", run([item("carbamazepine-200mg-tab")], typed(["southeast-asian"]))) == [Finding(
        "TN", "warning", ("carbamazepine-200mg-tab",),
        "carbamazepine: no HLA-B*15:02 result on record and the patient's recorded ancestry is one where it is "
        f"common (Stevens–Johnson syndrome and toxic epidermal necrolysis). {rule.advice_untested}",
        "TN.genotype-needed", source)]
    assert only("DL", run([item("carbamazepine-200mg-tab")], typed([], **{HLA_B_1502: "positive"}))) == [Finding(
        "DL", "blocking", ("carbamazepine-200mg-tab",),
        "carbamazepine: the patient carries HLA-B*15:02, which carries a high risk of Stevens–Johnson syndrome and "
        f"toxic epidermal necrolysis. {rule.advice_positive}", "DL.risk-genotype", source)]
