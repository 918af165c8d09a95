"""Doses by ingredient: totals over products, prescriptions and the profile; each ingredient's own
limits; weekly drugs; children; older adults; quantity against the days supply."""

from dataclasses import replace
from decimal import Decimal

import pytest

from consult import patients
from consult.formulary.model import DoseLimit
from tests.consult.test_safety import ADULT, FORMULARY, born_years_ago, codes, item, run
from tests.factories.consult import consultation_in_progress
from tests.factories.consult import item as rx_item

CHILD_6 = replace(ADULT, birth_date=born_years_ago(6), weight_kg=20)
CHILD_10 = replace(ADULT, birth_date=born_years_ago(10), weight_kg=32)
AGED_70 = replace(ADULT, birth_date=born_years_ago(70))
AGED_64 = replace(ADULT, birth_date=born_years_ago(64))


def hd(findings):
    return [(f.rule, f.severity, f.drugs) for f in findings if f.code == "HD"]


# ---- totals per ingredient ------------------------------------------------------------------

TOTALS = [
    # (what, new items, active items, expected HD findings)
    ("paracetamol on two prescriptions, 7 g a day", [item("paracetamol-500mg-tab", dose=1, unit="g", per_day=4)],
     [item("paracetamol-500mg-tab", dose=1, unit="g", per_day=3)],
     [("HD.above-maximum", "warning", ("paracetamol-500mg-tab",))]),
    ("paracetamol on two prescriptions, 4 g a day", [item("paracetamol-500mg-tab", dose=500, unit="mg", per_day=4)],
     [item("paracetamol-500mg-tab", dose=1, unit="g", per_day=2)], []),
    ("amoxicillin plus co-amoxiclav, 4.5 g amoxicillin",
     [item("amoxicillin-clavulanate-500-125mg-tab", per_day=3)], [item("amoxicillin-500mg-cap", dose=2, per_day=3)],
     [("HD.above-maximum", "warning", ("amoxicillin-clavulanate-500-125mg-tab",))]),
    ("co-amoxiclav plus amoxicillin, 3 g amoxicillin and 375 mg clavulanate (an accepted regimen)",
     [item("amoxicillin-clavulanate-500-125mg-tab", per_day=3), item("amoxicillin-500mg-cap", per_day=3)], [], []),
    ("two co-amoxiclav tablets three times a day: 750 mg clavulanate",
     [item("amoxicillin-clavulanate-500-125mg-tab", dose=2, per_day=3)], [],
     [("HD.above-maximum", "warning", ("amoxicillin-clavulanate-500-125mg-tab",))]),
    ("co-amoxiclav 1 g amoxicillin in mg, three times a day",
     [item("amoxicillin-clavulanate-500-125mg-tab", dose=1000, unit="mg", per_day=3)], [],
     [("HD.above-maximum", "warning", ("amoxicillin-clavulanate-500-125mg-tab",))]),
    ("two strengths of ibuprofen, 2.4 g against the OTC tablet's 1.2 g",
     [item("ibuprofen-200mg-tab", dose=2, per_day=3), item("ibuprofen-400mg-tab", per_day=3)], [],
     [("HD.above-maximum", "warning", ("ibuprofen-200mg-tab", "ibuprofen-400mg-tab"))]),
    ("prescribed ibuprofen 400 with an active OTC tablet, 1.8 g",
     [item("ibuprofen-400mg-tab", per_day=3)], [item("ibuprofen-200mg-tab", per_day=3)], []),
    ("co-trimoxazole four tablets a day: both ingredients above",
     [item("sulfamethoxazole-trimethoprim-800-160mg-tab", per_day=4)], [],
     [("HD.above-maximum", "warning", ("sulfamethoxazole-trimethoprim-800-160mg-tab",))] * 2),
    ("co-trimoxazole two tablets a day", [item("sulfamethoxazole-trimethoprim-800-160mg-tab", per_day=2)], [], []),
]


@pytest.mark.parametrize("new, active, expected", [pytest.param(*case[1:], id=case[0]) for case in TOTALS])
def test_daily_doses_add_up_per_ingredient_over_products_and_prescriptions(new, active, expected):
    assert hd(run(new, active=active)) == expected


def test_the_message_names_the_ingredient_and_the_share_from_the_profile():
    findings = run([item("paracetamol-500mg-tab", dose=1, unit="g", per_day=4)],
                   active=[item("paracetamol-500mg-tab", dose=1, unit="g", per_day=3)])
    assert findings[0].message == ("paracetamol: 7000 mg a day, 3000 mg a day of it from the active medication "
                                   "profile is above the adult maximum 4 g/day (4000 mg a day).")
    clavulanate = run([item("amoxicillin-clavulanate-500-125mg-tab", dose=2, per_day=3)])[0]
    assert clavulanate.message.startswith("clavulanic acid: 750 mg a day is above the adult maximum 375 mg/day")
    assert "ingredient_limits #clavulanic acid" in clavulanate.source


@pytest.mark.parametrize("patient, per_day, expected", [
    (CHILD_6, 1, []),  # 500 mg amoxicillin (25 mg/kg), 125 mg clavulanate (6.25 mg/kg) for 20 kg
    (CHILD_6, 3, [("HD.above-maximum", "warning")] * 2),  # 75 mg/kg amoxicillin, 18.75 mg/kg clavulanate
])
def test_a_childs_clavulanate_has_its_own_per_kg_limit(patient, per_day, expected):
    findings = run([item("amoxicillin-clavulanate-500-125mg-tab", per_day=per_day)], patient)
    assert [(rule, severity) for rule, severity, _ in hd(findings)] == expected


def test_a_per_kg_limit_stops_at_its_absolute_cap():
    limit = DoseLimit(Decimal(10), "mg/kg", cap_mg=Decimal(375))
    assert limit.mg_per_day(Decimal(20)) == 200 and limit.mg_per_day(Decimal(60)) == 375
    assert FORMULARY.ingredient_limits["clavulanic acid"].child.cap_mg == 375


def test_every_ingredient_of_a_combination_has_an_amount_and_every_other_part_its_own_limits():
    combinations = [d for d in FORMULARY.drugs.values() if len(d.ingredients) > 1]
    assert len(combinations) == 3
    for drug in combinations:
        assert len(drug.amounts) == len(drug.ingredients)
        assert all(i in FORMULARY.ingredient_limits for i in drug.ingredients[1:])


# ---- weekly drugs -----------------------------------------------------------------------------

@pytest.mark.parametrize("dose, per_day, expected", [
    (15, Decimal(1) / 7, []),
    (7.5, Decimal("0.14"), []),  # once a week as stored to two decimals
    (7.5, Decimal("0.5"), [("HD.above-maximum", "warning"), ("HD.weekly-drug-dosed-too-often", "warning")]),
    (2.5, Decimal("0.5"), [("HD.weekly-drug-dosed-too-often", "warning")]),  # every other day, 8.75 mg a week
    (2.5, Decimal("0.29"), [("HD.weekly-drug-dosed-too-often", "warning")]),  # twice a week
    (2.5, 1, [("HD.weekly-drug-dosed-daily", "warning")]),
])
def test_a_weekly_drug_is_checked_per_week_for_any_schedule(dose, per_day, expected):
    findings = run([item("methotrexate-2.5mg-tab", dose=dose, unit="mg", per_day=per_day, days=28)])
    assert [(rule, severity) for rule, severity, _ in hd(findings)] == expected


def test_a_weekly_total_is_reported_per_week():
    findings = run([item("methotrexate-2.5mg-tab", dose=7.5, unit="mg", per_day=Decimal("0.5"), days=28)])
    above = next(f for f in findings if f.rule == "HD.above-maximum")
    assert "26.25 mg a week" in above.message and "(25 mg a week)" in above.message


# ---- children ------------------------------------------------------------------------------------

@pytest.mark.parametrize("drug_id, patient, expected", [
    ("warfarin-3mg-tab", CHILD_10, [("HD.child-dose-unverifiable", "blocking", ("warfarin-3mg-tab",))]),
    ("levothyroxine-50mcg-tab", CHILD_6, [("HD.child-dose-unverifiable", "blocking", ("levothyroxine-50mcg-tab",))]),
    ("allopurinol-100mg-tab", replace(CHILD_10, birth_date=born_years_ago(17)),
     [("HD.child-dose-unverifiable", "blocking", ("allopurinol-100mg-tab",))]),
    ("itraconazole-100mg-cap", replace(CHILD_10, weight_kg=None),
     [("HD.child-dose-unverifiable", "blocking", ("itraconazole-100mg-cap",))]),
    ("warfarin-3mg-tab", replace(ADULT, birth_date=born_years_ago(18)), []),
    ("amoxicillin-500mg-cap", CHILD_10, []),  # a child maximum (90 mg/kg)
    ("codeine-30mg-tab", replace(CHILD_10, birth_date=born_years_ago(13)), []),  # a child maximum from 12 (BNFC)
    # A minimum age says when a drug may start, not what dose a child takes: the adult maximum is no
    # child's limit, for a 17-year-old either.
    ("metoprolol-50mg-tab", replace(CHILD_10, birth_date=born_years_ago(17)),
     [("HD.child-dose-unverifiable", "blocking", ("metoprolol-50mg-tab",))]),
    ("amitriptyline-25mg-tab", replace(CHILD_10, birth_date=born_years_ago(14)),
     [("HD.child-dose-unverifiable", "blocking", ("amitriptyline-25mg-tab",))]),
    ("montelukast-10mg-tab", replace(CHILD_10, birth_date=born_years_ago(15), weight_kg=None), []),  # adult dose from 15
    # Digoxin's label doses children by age band: no single child maximum, so none is verified here.
    ("digoxin-0.25mg-tab", CHILD_10, [("HD.child-dose-unverifiable", "blocking", ("digoxin-0.25mg-tab",))]),
    ("montelukast-10mg-tab", replace(CHILD_10, birth_date=born_years_ago(14)),
     [("HD.child-dose-unverifiable", "blocking", ("montelukast-10mg-tab",))]),
    ("ethinylestradiol-levonorgestrel-30-150mcg-tab", replace(CHILD_10, birth_date=born_years_ago(16)), []),
])
def test_a_child_dose_without_a_child_maximum_for_the_age_cannot_be_verified(drug_id, patient, expected):
    assert hd(run([item(drug_id)], patient)) == expected


def test_the_adult_maximum_is_never_the_childs_limit():
    # 3 mg warfarin is within the adult maximum of 10 mg, and still blocks for a child.
    assert codes(run([item("warfarin-3mg-tab")], CHILD_10)) == [("HD", "blocking", "HD.child-dose-unverifiable")]


# ---- older adults (AGS Beers Criteria 2023) ----------------------------------------------------------

@pytest.mark.parametrize("drug_id, patient, expected", [
    ("diazepam-5mg-tab", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("alprazolam-0.4mg-tab", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("amitriptyline-25mg-tab", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("gliclazide-80mg-tab", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("naproxen-220mg-tab", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("omeprazole-20mg-cap", AGED_70, [("PA", "warning", "PA.older-adult")]),
    ("digoxin-0.25mg-tab", AGED_70, [("PA", "warning", "PA.older-adult"), ("HD", "warning", "HD.above-maximum")]),
    ("diazepam-5mg-tab", AGED_64, []),
    ("digoxin-0.25mg-tab", AGED_64, []),
    ("sertraline-50mg-tab", AGED_70, []),
    ("amlodipine-5mg-tab", AGED_70, []),
])
def test_older_adults_get_the_beers_criteria(drug_id, patient, expected):
    findings = run([item(drug_id)], patient)
    assert codes(findings) == expected
    for finding in findings:
        if finding.rule == "PA.older-adult":
            assert "AGS-BEERS-2023" in finding.source


# ---- quantity against the days supply -------------------------------------------------------------------

@pytest.mark.parametrize("quantity, expected", [
    (21, []), (42, []), (43, [("EX", "warning", "EX.quantity-beyond-days-supply")]),
    (100, [("EX", "warning", "EX.quantity-beyond-days-supply")]),
])
def test_a_quantity_far_beyond_the_dose_over_the_days_supply_is_flagged(quantity, expected):
    assert codes(run([item("amoxicillin-500mg-cap", per_day=3, quantity=quantity)])) == expected


def test_the_quantity_of_a_dose_in_mg_counts_tablets_through_the_strength():
    # 250 mg (half a 500 mg capsule) three times a day for 7 days needs 11 capsules; 22 is within twice that.
    assert codes(run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3, quantity=22)])) == []
    assert codes(run([item("amoxicillin-500mg-cap", dose=250, unit="mg", per_day=3, quantity=23)])) == [
        ("EX", "warning", "EX.quantity-beyond-days-supply")]


# ---- OTC maximums (rechecked against the Drug Facts labels) -----------------------------------------------

@pytest.mark.parametrize("drug_id, tablets_a_day, flagged", [
    ("ibuprofen-200mg-tab", 6, False), ("ibuprofen-200mg-tab", 8, True),
    ("naproxen-220mg-tab", 3, False), ("naproxen-220mg-tab", 4, True),
    ("loperamide-2mg-cap", 4, False), ("loperamide-2mg-cap", 5, True),
    ("paracetamol-500mg-tab", 8, False), ("paracetamol-500mg-tab", 9, True),
])
def test_otc_products_are_limited_to_their_drug_facts_maximum(drug_id, tablets_a_day, flagged):
    findings = run([item(drug_id, per_day=tablets_a_day)])
    assert (("HD", "warning", "HD.above-maximum") in codes(findings)) is flagged


# ---- over HTTP ----------------------------------------------------------------------------------------------

def test_a_teenagers_weight_based_dose_without_a_weight_cannot_be_signed_until_the_weight_is_recorded(
        session, login_as):
    patient, doctor = login_as("patient", birth_date=born_years_ago(15), sex="male"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    draft = doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions", json={
        "items": [rx_item("amoxicillin-500mg-cap", dose=1000, frequency_per_day=3, days_supply=5, quantity=30)],
        "diagnosis": {"code": "J01.9", "display": "Acute sinusitis"}}).json
    assert [(f["rule"], f["drugs"]) for f in draft["safety"]["blocking"]] == [
        ("HD.child-weight-needed", ["amoxicillin-500mg-cap"])]
    refused = doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={"override_reason": "Adult-sized."})
    assert (refused.status_code, refused.json["type"]) == (422, "/problems/safety-check-failed")
    patients.update_profile(session=session, user=patient.user, changes={"weight_kg": 60})
    session.commit()
    signed = doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={})
    assert (signed.status_code, signed.json["status"]) == (200, "pending_review")


def test_a_childs_warfarin_cannot_be_signed(session, login_as):
    patient, doctor = login_as("patient", birth_date=born_years_ago(10), sex="male"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    draft = doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions", json={
        "items": [rx_item("warfarin-3mg-tab", dose=3, frequency_per_day=1, quantity=7)],
        "diagnosis": {"code": "I82.4", "display": "Deep vein thrombosis of lower extremity"}}).json
    assert [f["rule"] for f in draft["safety"]["blocking"]] == ["HD.child-dose-unverifiable"]
    signed = doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={"override_reason": "Haematology advice."})
    assert signed.status_code == 422
    assert signed.json["type"] == "/problems/safety-check-failed"


# ---- narrow therapeutic index: a child's per-kg limit stops at the cap its label states ---------------------

@pytest.mark.parametrize("drug_id, dose_mg, per_day, weight, flagged", [
    ("phenytoin-100mg-cap", 100, 3, 45, False),  # 300 mg: the label's children's maximum
    ("phenytoin-100mg-cap", 100, 4, 60, True),  # 400 mg is within 8 mg/kg for 60 kg, above the 300 mg cap
    ("carbamazepine-200mg-tab", 200, 5, 40, False),  # 1000 mg
    ("carbamazepine-200mg-tab", 200, 6, 40, True),  # 1200 mg: within 35 mg/kg, above 1000 mg at 6–15 years
])
def test_a_childs_antiepileptic_dose_stops_at_the_labels_cap(drug_id, dose_mg, per_day, weight, flagged):
    child = replace(ADULT, birth_date=born_years_ago(12), weight_kg=weight)
    findings = run([item(drug_id, dose=dose_mg, unit="mg", per_day=per_day)], child)
    assert (("HD", "warning", "HD.above-maximum") in codes(findings)) is flagged
