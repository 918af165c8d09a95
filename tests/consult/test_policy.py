"""Jurisdiction rules: each rule of the cn and us profiles, refusing and allowing, with its citation."""

import dataclasses
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from consult.formulary import get_formulary
from consult.policy import (
    POLICIES,
    Policy,
    PolicyRefusal,
    consultation_refusals,
    controlled_substance_refusals,
    get_policy,
    guardian_refusal,
    max_refills,
    online_sale_refusal,
    prescription_refusals,
    prior_diagnosis_evidence_refusal,
    requires_otp,
    valid_until,
)
from consult.safety_facts import Item

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


# ---- a follow-up is prescribed for on a confirmed record of its offline diagnosis (cn) -----------------------

EVIDENCE = {"institution": "Peking Union Medical College Hospital", "date": "2026-03-02",
            "document_reference": "OP-2026-0302-0117"}
EVIDENCE_CONFIRMED = {**EVIDENCE, "confirmed_by": "usr-doctor", "confirmed_at": "2026-12-01T09:00:00+00:00"}
FOLLOW_UP_EVIDENCE = "cn.follow-up-prior-diagnosis-evidence"


@pytest.mark.parametrize("evidence", [
    None, {}, {**EVIDENCE, "institution": ""}, {**EVIDENCE, "date": None}, {**EVIDENCE, "document_reference": "  "},
    {"institution": "Peking Union Medical College Hospital", "date": "2026-03-02"},
])
@pytest.mark.parametrize("prescribing", [False, True])
def test_cn_needs_the_institution_date_and_document_of_the_offline_diagnosis(evidence, prescribing):
    refusal = prior_diagnosis_evidence_refusal(CN, evidence=evidence, prescribing=prescribing)
    assert refusal == PolicyRefusal(
        rule=FOLLOW_UP_EVIDENCE, citation="互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十六条",
        message="A follow-up needs the record of the diagnosis made at a hospital or clinic: give the institution, "
                "the date and the document's reference.")


def test_cn_prescribes_for_a_follow_up_only_once_the_doctor_confirms_its_record():
    assert prior_diagnosis_evidence_refusal(CN, evidence=EVIDENCE, prescribing=False) is None
    unconfirmed = prior_diagnosis_evidence_refusal(CN, evidence=EVIDENCE, prescribing=True)
    assert (unconfirmed.rule, unconfirmed.message) == (
        FOLLOW_UP_EVIDENCE, "Confirm the record of the prior offline diagnosis before prescribing.")
    assert prior_diagnosis_evidence_refusal(CN, evidence=EVIDENCE_CONFIRMED, prescribing=True) is None


def test_the_follow_up_evidence_rule_cites_the_article_the_follow_up_rule_cites():
    assert CN.rule(FOLLOW_UP_EVIDENCE).citation == CN.rule("cn.online-follow-up-only").citation


@pytest.mark.parametrize("evidence", [None, {}, EVIDENCE])
@pytest.mark.parametrize("prescribing", [False, True])
def test_us_needs_no_record_of_a_prior_offline_diagnosis(evidence, prescribing):
    assert prior_diagnosis_evidence_refusal(US, evidence=evidence, prescribing=prescribing) is None


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
        rule="us.schedule-v-refills", citation="rxloop house policy; federal: 21 CFR 1306.21–1306.23",
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


# ---- the China online-retail prohibition list (药品网络销售禁止清单（第一版）) --------------------------------

LIST_CITATION = "国家药监局关于发布药品网络销售禁止清单（第一版）的公告（2022年第111号）"
ON_THE_LIST = {  # every formulary drug the list covers, by the section that covers it
    "codeine-30mg-tab": "一", "tramadol-50mg-cap": "一", "diazepam-5mg-tab": "一", "alprazolam-0.4mg-tab": "一",
    "zolpidem-10mg-tab": "一", "digoxin-0.25mg-tab": "二（四）", "amiodarone-200mg-tab": "二（四）",
    "phenytoin-100mg-cap": "二（四）", "carbamazepine-200mg-tab": "二（四）", "warfarin-3mg-tab": "二（四）",
    "lithium-carbonate-300mg-tab": "二（四）", "colchicine-0.5mg-tab": "二（四）", "itraconazole-100mg-cap": "二（四）",
}


def test_the_cn_list_covers_exactly_these_formulary_drugs_each_with_its_section():
    covered = {}
    for drug in FORMULARY.drugs.values():
        refusal = online_sale_refusal(CN, drug=drug)
        if refusal is not None:
            assert refusal.rule == "cn.online-sale-prohibited" and drug.generic_name in refusal.message
            covered[drug.id] = refusal.citation.removeprefix(LIST_CITATION + " ")
    assert covered == ON_THE_LIST


@pytest.mark.parametrize("drug_id", sorted(ON_THE_LIST))
def test_the_us_policy_has_no_online_sale_list(drug_id):
    assert online_sale_refusal(US, drug=FORMULARY.drugs[drug_id]) is None


def test_the_list_declares_every_line_of_the_announcement():
    categories = CN.online_sale_prohibited
    assert [c.id for c in categories] == [
        "vaccines", "blood-products", "narcotic-drugs", "psychotropic-drugs", "medical-toxic-drugs",
        "radioactive-drugs", "precursor-chemicals", "hospital-preparations", "tcm-formula-granules",
        "injections", "ephedrine-combinations", "oral-narcotic-combinations", "oral-tramadol-combinations",
        "oral-dextromethorphan", "anabolic-agents-and-peptide-hormones", "named-cardiovascular-and-respiratory",
        "named-neurological-anticoagulant-and-other", "named-reproductive", "named-antimicrobials"]
    assert all(c.citation.startswith(LIST_CITATION) for c in categories)
    assert "cn.online-sale-prohibited" in {r.id for r in CN.rules} and "2022年第111号" in CN.rule(
        "cn.online-sale-prohibited").citation


def drug_like(**fields):
    """A made-up formulary drug: amoxicillin's record with these fields changed."""
    return dataclasses.replace(AMOXICILLIN, **{"synonyms": (), **fields})


@pytest.mark.parametrize("fields, category", [
    ({"atc_code": "J07BB02", "generic_name": "influenza vaccine"}, "vaccines"),
    ({"cn_special_class": "medical-toxic"}, "medical-toxic-drugs"),
    ({"form": "solution for injection", "atc_code": "J01DD04"}, "injections"),
    ({"generic_name": "ibuprofen + pseudoephedrine", "ingredients": ("ibuprofen", "pseudoephedrine")},
     "ephedrine-combinations"),
    ({"generic_name": "paracetamol + codeine", "ingredients": ("paracetamol", "codeine")},
     "oral-narcotic-combinations"),
    ({"generic_name": "paracetamol + tramadol", "ingredients": ("paracetamol", "tramadol")},
     "oral-tramadol-combinations"),
    ({"generic_name": "dextromethorphan", "ingredients": ("dextromethorphan",)}, "oral-dextromethorphan"),
    ({"generic_name": "oxandrolone", "atc_code": "A14AA08"}, "anabolic-agents-and-peptide-hormones"),
    ({"generic_name": "mifepristone", "synonyms": ("米非司酮",)}, "named-reproductive"),
    ({"generic_name": "linezolid"}, "named-antimicrobials"),
])
def test_each_category_recognises_its_drugs(fields, category):
    refusal = online_sale_refusal(CN, drug=drug_like(**fields))
    assert refusal is not None and refusal.citation == next(
        c.citation for c in CN.online_sale_prohibited if c.id == category)
    assert next(c for c in CN.online_sale_prohibited if c.covers(drug_like(**fields))).id == category


@pytest.mark.parametrize("fields", [
    {"form": "solution for injection", "atc_code": "A10AB01", "generic_name": "insulin"},  # 降糖类药物除外
    {"generic_name": "fusidic acid", "route": "topical", "form": "cream"},  # 抗菌药不含外用剂型
    {"generic_name": "dextromethorphan + guaifenesin", "ingredients": ("dextromethorphan", "guaifenesin")},
    {"generic_name": "tramadol", "ingredients": ("tramadol",), "cn_special_class": None},  # single: 精神药品 instead
    {"generic_name": "insulin glargine", "atc_code": "A10AE04"},
    {"generic_name": "ethinylestradiol + levonorgestrel", "ingredients": ("ethinylestradiol", "levonorgestrel")},
])
def test_what_the_list_leaves_out_is_not_refused(fields):
    assert online_sale_refusal(CN, drug=drug_like(**fields)) is None


def test_the_refusal_says_how_the_drug_is_listed():
    assert online_sale_refusal(CN, drug=CODEINE).message == (
        "codeine is on China's list of drugs that may not be sold online (as 麻醉药品 (narcotic drugs)): "
        "fill the prescription at a pharmacy in person.")


# ---- Ryan Haight (us): a controlled substance online needs an in-person evaluation or a named exception -----

TODAY = date(2026, 12, 1)
RYAN_HAIGHT = "us.ryan-haight-in-person-evaluation"


@pytest.mark.parametrize("basis", [
    None, {}, {"kind": "in_person_evaluation"}, {"kind": "in_person_evaluation", "evaluated_on": "2026-12-02"},
    {"kind": "telemedicine_exception"}, {"kind": "telemedicine_exception", "exception": "802(54)(Z)"},
    {"kind": "video call"},
])
def test_us_refuses_a_controlled_substance_online_without_a_recorded_basis(basis):
    refusals = controlled_substance_refusals(US, drugs=[AMOXICILLIN, TRAMADOL], basis=basis, today=TODAY)
    assert [(r.rule, r.citation) for r in refusals] == [(RYAN_HAIGHT, "21 U.S.C. 829(e)(1)–(3); 21 CFR 1306.09(a)")]


@pytest.mark.parametrize("basis", [
    {"kind": "in_person_evaluation", "evaluated_on": "2026-12-01"},
    {"kind": "in_person_evaluation", "evaluated_on": date(2019, 5, 1)},
    {"kind": "telemedicine_exception", "exception": "802(54)(A)"},
    {"kind": "telemedicine_exception", "exception": "802(54)(B)"},
    {"kind": "telemedicine_exception", "exception": "802(54)(G)-dea-temporary-flexibilities"},
])
def test_us_allows_a_controlled_substance_online_on_an_in_person_evaluation_or_a_named_exception(basis):
    assert controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=TODAY) == []


def test_the_dea_temporary_flexibilities_end_on_the_last_day_the_fourth_extension_gives():
    basis = {"kind": "telemedicine_exception", "exception": "802(54)(G)-dea-temporary-flexibilities"}
    assert controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=date(2026, 12, 31)) == []
    refusals = controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=date(2027, 1, 1))
    assert [r.rule for r in refusals] == [RYAN_HAIGHT]
    assert "Fourth Temporary Extension" in refusals[0].citation and "2026-12-31" in refusals[0].message


COVERING = {"kind": "covering_practitioner", "covering_for": "Dr Jane Roe, DEA AR1234563", "evaluated_on": "2025-06-10"}
COVERING_CITATION = "21 U.S.C. 829(e)(2)(A)(ii), 829(e)(2)(C)"


@pytest.mark.parametrize("basis", [
    COVERING, {**COVERING, "evaluated_on": date(2026, 12, 1)},
    {**COVERING, "evaluated_on": "2024-12-01"},  # exactly 24 months before today: still "within"
])
def test_us_allows_a_covering_practitioner_for_one_who_evaluated_the_patient_within_24_months(basis):
    assert controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=TODAY) == []


@pytest.mark.parametrize("basis, message", [
    ({**COVERING, "covering_for": None}, "Name the practitioner you are covering for."),
    ({**COVERING, "covering_for": "  "}, "Name the practitioner you are covering for."),
    ({"kind": "covering_practitioner", "covering_for": "Dr Jane Roe"},
     "The practitioner covered for must have evaluated the patient within the previous 24 months: give the date "
     "of that evaluation."),
    ({**COVERING, "evaluated_on": "2024-11-30"},
     "The practitioner covered for must have evaluated the patient within the previous 24 months: give the date "
     "of that evaluation."),
    ({**COVERING, "evaluated_on": "2026-12-02"},
     "The practitioner covered for must have evaluated the patient within the previous 24 months: give the date "
     "of that evaluation."),
])
def test_us_refuses_a_covering_practitioner_without_the_practitioner_covered_for_or_their_recent_evaluation(
        basis, message):
    refusals = controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=TODAY)
    assert refusals == [PolicyRefusal(rule=RYAN_HAIGHT, citation=COVERING_CITATION, message=message)]


def test_the_24_months_of_a_covering_practitioner_end_on_the_same_day_two_years_on_or_the_months_last_day():
    basis = {**COVERING, "evaluated_on": "2024-02-29"}
    assert controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=date(2026, 2, 28)) == []
    assert rules(controlled_substance_refusals(US, drugs=[CODEINE], basis=basis, today=date(2026, 3, 1))) == [
        RYAN_HAIGHT]


def test_cn_does_not_prescribe_a_controlled_substance_online_for_a_covering_practitioner_either():
    assert controlled_substance_refusals(CN, drugs=[CODEINE], basis=COVERING, today=TODAY) == []
    assert rules(prescription_refusals(CN, drug=CODEINE, item=item(CODEINE))) == ["cn.no-special-management-drugs-online"]


def test_us_needs_no_basis_for_non_controlled_drugs():
    assert controlled_substance_refusals(US, drugs=[AMOXICILLIN], basis=None, today=TODAY) == []


def test_cn_has_no_ryan_haight_rule_as_it_never_prescribes_controlled_drugs_online():
    assert controlled_substance_refusals(CN, drugs=[CODEINE], basis=None, today=TODAY) == []
    assert rules(prescription_refusals(CN, drug=CODEINE, item=item(CODEINE))) == ["cn.no-special-management-drugs-online"]


def test_every_named_telemedicine_exception_cites_21_usc_802_54():
    assert [e.key for e in US.telemedicine_exceptions][:6] == [f"802(54)({c})" for c in "ABCDEF"]
    assert all(e.citation.startswith(f"21 U.S.C. {e.key[:10]}") for e in US.telemedicine_exceptions)


# ---- citations say exactly what the cited text says ---------------------------------------------------------

def test_schedule_v_refills_and_validity_are_house_policy_citing_1306_21_to_1306_23():
    for rule_id in ("us.schedule-v-refills", "us.validity-schedule-v"):
        rule = US.rule(rule_id)
        assert rule.citation == "rxloop house policy; federal: 21 CFR 1306.21–1306.23"
        assert "Schedules III and IV only" in rule.summary


def test_the_six_month_and_five_refill_limits_cite_1306_22_for_schedules_iii_and_iv():
    assert US.rule("us.schedule-iii-iv-refills").citation == "21 CFR 1306.22(a)"
    assert US.rule("us.validity-schedule-iii-iv").citation == "21 CFR 1306.22(a)"
    assert {schedule: US.validity[schedule].rule for schedule in ("II", "III", "IV", "V")} == {
        "II": "us.validity-schedule-ii", "III": "us.validity-schedule-iii-iv", "IV": "us.validity-schedule-iii-iv",
        "V": "us.validity-schedule-v"}


def test_schedule_ii_has_no_refills_under_1306_12_and_its_30_days_are_house_policy():
    assert US.rule("us.schedule-ii-no-refills").citation == "21 CFR 1306.12(a)"
    assert US.rule("us.validity-schedule-ii").citation == "rxloop house policy; federal: 21 CFR 1306.11–1306.12"


@pytest.mark.parametrize("word", ["strictest", "most states", "always", "every state"])
def test_no_rule_over_claims_state_law(word):
    assert [r.id for p in POLICIES.values() for r in p.rules if word in (r.summary + r.citation).lower()] == []


def test_every_validity_rule_names_a_declared_rule():
    for policy in POLICIES.values():
        assert all(policy.rule(v.rule) for v in policy.validity.values())


def test_each_rule_set_has_a_version_a_prescription_records():
    assert (CN.ruleset_version, US.ruleset_version) == ("cn/2026.12.2", "us/2026.12.2")


# ---- a child under 6 is seen online only with a guardian present (cn) ----------------------------------------

GUARDIAN = {"name": "Li Na", "relationship": "mother"}
CONFIRMED = {**GUARDIAN, "confirmed_by": "usr-1", "confirmed_at": "2026-12-01T09:00:00+00:00"}


@pytest.mark.parametrize("age_years, guardian, prescribing, refused", [
    (5, None, False, True), (0, {"name": "Li Na", "relationship": " "}, False, True), (5, GUARDIAN, False, False),
    (5, GUARDIAN, True, True), (5, CONFIRMED, True, False), (6, None, True, False), (None, None, True, False),
])
def test_cn_needs_a_recorded_guardian_for_a_child_under_6_and_their_confirmation_to_prescribe(
        age_years, guardian, prescribing, refused):
    refusal = guardian_refusal(CN, age_years=age_years, guardian=guardian, prescribing=prescribing)
    assert (refusal is not None) is refused
    if refused:
        assert refusal.rule == "cn.child-under-6-guardian"
        assert refusal.citation == "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十九条"


@pytest.mark.parametrize("prescribing", [False, True])
def test_us_has_no_guardian_rule(prescribing):
    assert guardian_refusal(US, age_years=2, guardian=None, prescribing=prescribing) is None
