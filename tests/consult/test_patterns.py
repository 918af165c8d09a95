"""Multi-drug patterns (AT, additive toxicity) as specifications: over the new items and the whole
active medication profile, each raised only when it takes in a new item."""

from dataclasses import replace

import pytest

from consult.safety_facts import Finding
from tests.consult.test_safety import ADULT, FORMULARY, codes, item, only, run


def pattern(pattern_id):
    return next(p for p in FORMULARY.patterns if p.id == pattern_id)


def source(pattern_id):
    return f"interactions.yaml {FORMULARY.version} patterns #{pattern_id}: {pattern(pattern_id).source}"


PATTERN_CASES = [  # (new, active, reported, pattern)
    (["ibuprofen-400mg-tab"], ["lisinopril-10mg-tab", "furosemide-40mg-tab"], [], "triple-whammy"),
    (["losartan-50mg-tab"], ["spironolactone-25mg-tab"], ["naproxen"], "triple-whammy"),
    (["hydrochlorothiazide-25mg-tab", "enalapril-10mg-tab", "diclofenac-50mg-tab"], [], [], "triple-whammy"),
    (["sumatriptan-50mg-tab"], ["sertraline-50mg-tab", "tramadol-50mg-cap"], [], "serotonergic-load"),
    (["tramadol-50mg-cap"], ["lithium-carbonate-300mg-tab"], [], "serotonergic-load"),  # no pair rule for these two
    (["citalopram-20mg-tab"], ["furosemide-40mg-tab"], [], "qt-load"),
    (["azithromycin-250mg-tab"], ["citalopram-20mg-tab", "hydrochlorothiazide-25mg-tab"], [], "qt-load"),
    (["cetirizine-10mg-tab"], ["amitriptyline-25mg-tab"], [], "anticholinergic-burden"),
    (["diazepam-5mg-tab"], ["codeine-30mg-tab", "warfarin-3mg-tab"], [], "anticholinergic-burden"),
]


@pytest.mark.parametrize("new, active, reported, pattern_id", PATTERN_CASES)
def test_a_multi_drug_pattern_across_the_profile_is_a_warning(new, active, reported, pattern_id):
    findings = run([item(d) for d in new], replace(ADULT, current_medications=tuple(reported)),
                   active=[item(d) for d in active])
    assert [(f.severity, f.rule, f.source) for f in only("AT", findings)] == [
        ("warning", "AT.pattern-table", source(pattern_id))]


@pytest.mark.parametrize("new, active", [
    (["ibuprofen-400mg-tab"], ["lisinopril-10mg-tab"]),  # no diuretic: the pair rule only
    (["aspirin-100mg-tab"], ["lisinopril-10mg-tab", "furosemide-40mg-tab"]),  # low-dose aspirin is no NSAID here
    (["amoxicillin-500mg-cap"], ["lisinopril-10mg-tab", "furosemide-40mg-tab", "ibuprofen-400mg-tab"]),  # nothing new
    (["tramadol-50mg-cap"], ["sertraline-50mg-tab"]),  # two, and the pair is in the table (DD)
    (["sertraline-50mg-tab"], ["fluoxetine-20mg-cap"]),  # two of one class: duplication (TD)
    (["citalopram-20mg-tab"], ["ciprofloxacin-500mg-tab"]),  # two known-risk drugs: the pair rule
    (["furosemide-40mg-tab"], ["sertraline-50mg-tab"]),  # no drug of known QT risk
    (["amitriptyline-25mg-tab"], []),  # a score of 3 from one drug is its own label's business
    (["cetirizine-10mg-tab"], ["loperamide-2mg-cap"]),  # a total of 2
    (["ibuprofen-200mg-tab"], ["ibuprofen-400mg-tab"]),
])
def test_no_pattern_below_its_threshold_for_a_pair_already_flagged_or_without_a_new_drug(new, active):
    assert only("AT", run([item(d) for d in new], active=[item(d) for d in active])) == []


def test_two_strengths_of_one_drug_count_once():
    findings = run([item("sertraline-50mg-tab")], replace(ADULT, current_medications=("tramadol",)),
                   active=[item("tramadol-50mg-cap")])
    assert only("AT", findings) == []


def test_a_pattern_finding_names_every_drug_in_it_the_effect_and_what_to_do():
    triple = pattern("triple-whammy")
    findings = run([item("ibuprofen-400mg-tab")], active=[item("lisinopril-10mg-tab"), item("furosemide-40mg-tab")])
    assert only("AT", findings) == [Finding(
        "AT", "warning", ("lisinopril-10mg-tab", "furosemide-40mg-tab", "ibuprofen-400mg-tab"),
        "ACE inhibitor or ARB + diuretic + NSAID ('triple whammy'): lisinopril (active prescription), furosemide "
        f"(active prescription), ibuprofen. {triple.effect} {triple.management}", "AT.pattern-table",
        source("triple-whammy"))]
    assert codes(findings)[:1] == [("DD", "warning", "DD.interaction-table")]  # the pairs still show


def test_a_count_or_score_pattern_says_how_many_or_how_much():
    load = only("AT", run([item("sumatriptan-50mg-tab")], active=[item("sertraline-50mg-tab"),
                                                                  item("tramadol-50mg-cap")]))
    burden = only("AT", run([item("cetirizine-10mg-tab")], active=[item("amitriptyline-25mg-tab")]))
    assert load[0].message.startswith("serotonergic load (3 drugs): sumatriptan, sertraline (active prescription), "
                                      "tramadol (active prescription). ")
    assert burden[0].message.startswith("anticholinergic burden (total score 4): cetirizine, amitriptyline "
                                        "(active prescription). ")


@pytest.mark.parametrize("drug_id, score", [("amitriptyline-25mg-tab", 3), ("paroxetine-20mg-tab", 3),
                                            ("carbamazepine-200mg-tab", 2), ("diazepam-5mg-tab", 1),
                                            ("amoxicillin-500mg-cap", 0)])
def test_anticholinergic_scores_follow_the_acb_scale(drug_id, score):
    assert FORMULARY.drugs[drug_id].anticholinergic_burden == score
