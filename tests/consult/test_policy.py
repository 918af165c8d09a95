"""Jurisdiction rules: each rule of the cn and us profiles, refusing and allowing, with its citation."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from consult.formulary import get_formulary
from consult.policy import (
    POLICIES, Policy, PolicyRefusal, consultation_refusals, get_policy, max_refills, prescription_refusals,
    requires_otp, valid_until,
)
from consult.safety import Item

FORMULARY = get_formulary()
CN, US = get_policy("cn"), get_policy("us")
SIGNED = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
DIAGNOSIS = {"code": "I10", "display": "Essential hypertension"}
AMOXICILLIN, CODEINE, TRAMADOL = (FORMULARY.drugs[d] for d in ("amoxicillin-500mg-cap", "codeine-30mg-tab",
                                                                "tramadol-50mg-cap"))


def item(drug, refills=0, days=7) -> Item:
    return Item(drug.id, 1, "tablet", 3, "oral", days, 21, refills)


def rules(refusals):
    return [r.rule for r in refusals]


def test_cn_is_the_default_and_an_unknown_policy_is_a_value_error():
    assert get_policy() is CN and isinstance(CN, Policy)
    with pytest.raises(ValueError, match=r"^unknown policy 'uk': one of cn, us$"):
        get_policy("uk")


# ---- consultations ---------------------------------------------------------------------------

@pytest.mark.parametrize("is_follow_up, prior", [(False, DIAGNOSIS), (True, None), (True, {}), (False, None),
                                                 (True, {"code": " ", "display": ""})])
def test_cn_refuses_an_online_first_visit_or_one_without_a_prior_diagnosis(is_follow_up, prior):
    refusals = consultation_refusals(CN, is_follow_up=is_follow_up, prior_diagnosis=prior)
    assert rules(refusals) == ["cn.online-follow-up-only"]
    assert refusals[0].citation.startswith("互联网诊疗管理办法（试行）") and "第十六条" in refusals[0].citation
    assert isinstance(refusals[0], PolicyRefusal) and refusals[0].message


def test_cn_refusal_tells_the_patient_to_see_a_doctor_in_person_first():
    assert consultation_refusals(CN, is_follow_up=False, prior_diagnosis=None) == [PolicyRefusal(
        rule="cn.online-follow-up-only", citation=CN.rule("cn.online-follow-up-only").citation,
        message="Online consultations are only for follow-up of a condition already diagnosed in person: "
                "please see a doctor at a hospital or clinic first.")]


@pytest.mark.parametrize("prior", [DIAGNOSIS, {"code": "I10"}, {"display": "Essential hypertension"}])
def test_cn_allows_the_follow_up_of_a_diagnosis_made_offline_named_by_code_or_by_words(prior):
    assert consultation_refusals(CN, is_follow_up=True, prior_diagnosis=prior) == []


@pytest.mark.parametrize("is_follow_up, prior", [(False, None), (True, DIAGNOSIS)])
def test_us_allows_first_and_follow_up_visits(is_follow_up, prior):
    assert consultation_refusals(US, is_follow_up=is_follow_up, prior_diagnosis=prior) == []


# ---- prescriptions -----------------------------------------------------------------------------

@pytest.mark.parametrize("generic", ["tramadol", "codeine", "diazepam", "alprazolam", "zolpidem"])
def test_cn_refuses_special_management_drugs_online(generic):
    drug = next(d for d in FORMULARY.drugs.values() if d.generic_name == generic)
    refusals = prescription_refusals(CN, drug=drug, item=item(drug))
    assert rules(refusals) == ["cn.no-special-management-drugs-online"]
    assert "第十九条" in refusals[0].citation


@pytest.mark.parametrize("mark", [{"rx_class": "controlled"}, {"us_schedule": "IV"},
                                  {"cn_special_class": "psychotropic-2"}])
def test_any_one_mark_of_a_controlled_drug_makes_it_special_management_in_cn(mark):
    drug = replace(AMOXICILLIN, **mark)
    assert prescription_refusals(CN, drug=drug, item=item(drug)) == [PolicyRefusal(
        rule="cn.no-special-management-drugs-online",
        citation=CN.rule("cn.no-special-management-drugs-online").citation,
        message="amoxicillin is a specially managed (narcotic or psychotropic) drug and cannot be prescribed online.")]


def test_cn_refuses_refills_and_allows_a_single_supply():
    assert prescription_refusals(CN, drug=AMOXICILLIN, item=item(AMOXICILLIN, refills=1)) == [PolicyRefusal(
        rule="cn.no-refills", citation=CN.rule("cn.no-refills").citation,
        message="Refills cannot be prescribed: each supply needs a new prescription.")]
    assert "处方管理办法" in CN.rule("cn.no-refills").citation
    assert prescription_refusals(CN, drug=AMOXICILLIN, item=item(AMOXICILLIN)) == []


def test_a_long_days_supply_is_not_a_policy_refusal_but_a_safety_finding():
    assert prescription_refusals(CN, drug=AMOXICILLIN, item=item(AMOXICILLIN, days=90)) == []


def test_us_refuses_any_refill_of_schedule_ii():
    refusals = prescription_refusals(US, drug=CODEINE, item=item(CODEINE, refills=1))
    assert [(r.rule, r.citation) for r in refusals] == [("us.schedule-ii-no-refills", "21 CFR 1306.12(a)")]
    assert prescription_refusals(US, drug=CODEINE, item=item(CODEINE)) == []


def test_us_allows_five_refills_of_schedule_iv_and_refuses_six():
    assert prescription_refusals(US, drug=TRAMADOL, item=item(TRAMADOL, refills=5)) == []
    assert prescription_refusals(US, drug=TRAMADOL, item=item(TRAMADOL, refills=6)) == [PolicyRefusal(
        rule="us.schedule-iii-iv-refills", citation="21 CFR 1306.22(a)",
        message="tramadol is Schedule IV: at most 5 refills.")]


def test_us_allows_five_refills_of_schedule_v_under_its_own_rule_and_refuses_six():
    schedule_v = replace(TRAMADOL, us_schedule="V")
    assert prescription_refusals(US, drug=schedule_v, item=item(schedule_v, refills=5)) == []
    assert prescription_refusals(US, drug=schedule_v, item=item(schedule_v, refills=6)) == [PolicyRefusal(
        rule="us.schedule-v-refills", citation="21 CFR 1306.22(a) applied by rxloop house policy",
        message="tramadol is Schedule V: at most 5 refills.")]


def test_us_has_no_refill_limit_for_non_controlled_drugs_beyond_validity():
    assert prescription_refusals(US, drug=AMOXICILLIN, item=item(AMOXICILLIN, refills=11)) == []
    assert max_refills(US, drug=AMOXICILLIN) is None


# ---- validity -----------------------------------------------------------------------------------

def test_cn_prescriptions_are_valid_for_three_days():
    assert valid_until(CN, drugs=[AMOXICILLIN], signed_at=SIGNED) == SIGNED + timedelta(days=3)
    assert "第十八条" in CN.rule("cn.validity-3-days").citation


@pytest.mark.parametrize("drugs, expected", [
    ([AMOXICILLIN], datetime(2027, 11, 25, 9, 30, tzinfo=timezone.utc)),
    ([TRAMADOL], datetime(2027, 5, 25, 9, 30, tzinfo=timezone.utc)),
    ([CODEINE], SIGNED + timedelta(days=30)),
    ([AMOXICILLIN, TRAMADOL], datetime(2027, 5, 25, 9, 30, tzinfo=timezone.utc)),
    ([AMOXICILLIN, TRAMADOL, CODEINE], SIGNED + timedelta(days=30)),
    ([], datetime(2027, 11, 25, 9, 30, tzinfo=timezone.utc)),
])
def test_us_validity_is_a_year_six_months_for_schedule_iii_to_v_and_the_earliest_wins(drugs, expected):
    assert valid_until(US, drugs=drugs, signed_at=SIGNED) == expected


def test_a_year_from_a_january_signature_ends_in_january_of_the_next_year():
    signed = datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc)
    assert valid_until(US, drugs=[AMOXICILLIN], signed_at=signed) == datetime(2027, 1, 15, 8, 0, tzinfo=timezone.utc)


def test_six_months_from_the_31st_ends_on_the_last_day_of_the_month():
    signed = datetime(2026, 8, 31, tzinfo=timezone.utc)
    assert valid_until(US, drugs=[TRAMADOL], signed_at=signed) == datetime(2027, 2, 28, tzinfo=timezone.utc)


# ---- second factor, citations -----------------------------------------------------------------

@pytest.mark.parametrize("policy, drugs, expected", [
    (US, [TRAMADOL], True), (US, [AMOXICILLIN, CODEINE], True), (US, [AMOXICILLIN], False), (US, [], False),
    (CN, [TRAMADOL], False), (CN, [AMOXICILLIN], False),
])
def test_a_second_factor_is_required_for_controlled_drugs_in_the_us_only(policy, drugs, expected):
    assert requires_otp(policy, drugs=drugs) is expected


@pytest.mark.parametrize("mark", [{"rx_class": "controlled"}, {"us_schedule": "IV"}])
def test_either_mark_of_a_controlled_drug_needs_a_second_factor_in_the_us(mark):
    assert requires_otp(US, drugs=[replace(AMOXICILLIN, **mark)]) is True


def test_every_rule_has_an_id_a_citation_and_a_summary():
    everything = [rule for policy in POLICIES.values() for rule in policy.rules]
    assert len(everything) == len(CN.rules) + len(US.rules)
    for rule in everything:
        assert rule.id.split(".")[0] in ("cn", "us") and rule.citation and rule.summary
    assert len({r.id for r in everything}) == len(everything)
