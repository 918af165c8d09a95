"""Red-flag triage: each red flag in English and Chinese refers the patient offline; safe visits pass."""

import pytest

from consult.triage import INFANT_MESSAGE, PREGNANCY_MESSAGE, RED_FLAGS, TriageReason, triage


def reasons(chief_complaint="", symptoms=(), age_years=35, pregnant=None, age_months=None):
    return [r.code for r in triage(chief_complaint=chief_complaint, symptoms=list(symptoms), age_years=age_years,
                                   pregnant=pregnant, age_months=age_months)]


RED_FLAG_CASES = [
    ("chest-pain", "Chest pain since this morning"), ("chest-pain", "crushing pain, chest tightness"),
    ("chest-pain", "CHEST PAIN"), ("chest-pain", "胸痛两小时"), ("chest-pain", "胸闷、出汗"),
    ("breathing-difficulty", "shortness of breath"), ("breathing-difficulty", "I can't breathe properly"),
    ("breathing-difficulty", "Difficulty breathing at night"), ("breathing-difficulty", "呼吸困难"),
    ("breathing-difficulty", "喘不过气"),
    ("stroke-signs", "my face is drooping"), ("stroke-signs", "Face droop and arm weakness"),
    ("stroke-signs", "slurred speech"), ("stroke-signs", "sudden numbness in my left arm"),
    ("stroke-signs", "sudden confusion"), ("stroke-signs", "口角歪斜"), ("stroke-signs", "言语不清"),
    ("stroke-signs", "一侧肢体无力"),
    ("suicide-risk", "I have suicidal thoughts"), ("suicide-risk", "I want to kill myself"),
    ("suicide-risk", "self-harm"), ("suicide-risk", "self harm"), ("suicide-risk", "有自杀的念头"),
    ("suicide-risk", "不想活了"), ("suicide-risk", "自残"),
    ("severe-bleeding", "heavy bleeding"), ("severe-bleeding", "vomiting blood"), ("severe-bleeding", "black stools"),
    ("severe-bleeding", "coughing up blood"), ("severe-bleeding", "大出血"), ("severe-bleeding", "呕血"),
    ("severe-bleeding", "黑便三天"),
    ("anaphylaxis", "my tongue swelling after a pill"), ("anaphylaxis", "喉头水肿"),
    ("loss-of-consciousness", "passed out twice today"), ("loss-of-consciousness", "seizure this morning"),
    ("loss-of-consciousness", "晕厥"),
]


@pytest.mark.parametrize("code, text", RED_FLAG_CASES)
def test_a_red_flag_in_the_chief_complaint_refers_offline(code, text):
    assert code in reasons(text)


@pytest.mark.parametrize("code, text", RED_FLAG_CASES)
def test_a_red_flag_among_the_symptoms_refers_offline(code, text):
    assert code in reasons("Follow-up of my blood pressure", symptoms=["headache", text])


def test_every_red_flag_rule_has_a_case():
    assert {code for code, _ in RED_FLAG_CASES} == {flag.code for flag in RED_FLAGS}


@pytest.mark.parametrize("text", [
    "Follow-up of known condition", "Sore throat again", "mild fever", "cough", "runny nose",
    "chest congestion from a cold",  # congestion is not pain or tightness: a cold, not a red flag
    "no chest pain", "No chest pain or shortness of breath", "denies chest pain", "without shortness of breath",
    "no fever or chest pain", "无胸痛", "没有呼吸困难", "否认胸痛",
    "heartburn after meals", "bleeding gums when brushing", "hay fever", "brain fog", "strokes of bad luck",
    "epilepsy follow-up, seizure-free for two years", "高血压复诊", "咳嗽两天",
])
def test_safe_visits_are_not_referred(text):
    assert reasons(text, symptoms=[text]) == []


def test_a_typographic_apostrophe_reads_like_a_plain_one():
    assert reasons("I can’t breathe lying down") == ["breathing-difficulty"]


def test_nor_continues_a_negation_like_or():
    assert reasons("no fever nor chest pain") == []


def test_a_negation_reaches_a_short_list_only_so_a_symptom_further_on_still_refers():
    assert reasons("no high fever last night or chest pain") == ["chest-pain"]


@pytest.mark.parametrize("text", ["not sure if it is chest pain", "no idea why, chest pain", "no fever but chest pain",
                                  "没有发烧，胸痛"])
def test_a_red_flag_near_but_not_negated_still_refers(text):
    assert "chest-pain" in reasons(text)


@pytest.mark.parametrize("pregnant, text", [
    (True, "vaginal bleeding"), (True, "abdominal pain"), (True, "spotting"), (True, "腹痛"), (True, "见红"),
    (None, "I am 8 weeks pregnant and bleeding"), (None, "怀孕10周，下腹痛"),
    (False, "I'm pregnant now with cramps"),  # what the patient says now beats an old record
])
def test_bleeding_or_abdominal_pain_in_pregnancy_refers_offline(pregnant, text):
    assert "pregnancy-bleeding-or-pain" in reasons(text, pregnant=pregnant)


def test_bleeding_in_pregnancy_says_where_to_go_now():
    assert triage(chief_complaint="vaginal bleeding", symptoms=[], age_years=30, pregnant=True) == [
        TriageReason("pregnancy-bleeding-or-pain", PREGNANCY_MESSAGE)]
    assert PREGNANCY_MESSAGE.endswith("go to an emergency or obstetric department now.")


@pytest.mark.parametrize("pregnant, text", [
    (True, "morning sickness"), (True, "heartburn"), (False, "abdominal pain"), (None, "abdominal pain"),
    (None, "I am not pregnant, abdominal pain"),
])
def test_pregnancy_without_bleeding_or_pain_or_pain_without_pregnancy_is_not_that_red_flag(pregnant, text):
    assert "pregnancy-bleeding-or-pain" not in reasons(text, pregnant=pregnant)


@pytest.mark.parametrize("age_years, age_months, text", [
    (0, 0, "fever"), (0, 2, "high temperature"), (0, None, "fever"), (0, 1, "发烧"), (0, 2, "发热38.5度"),
])
def test_fever_in_an_infant_under_three_months_refers_offline(age_years, age_months, text):
    assert "infant-fever" in reasons(text, age_years=age_years, age_months=age_months)


def test_fever_in_an_infant_says_to_go_to_hospital_today():
    assert triage(chief_complaint="fever", symptoms=[], age_years=0, pregnant=None, age_months=1) == [
        TriageReason("infant-fever", INFANT_MESSAGE)]
    assert INFANT_MESSAGE == "Fever in a baby under 3 months must be seen in person today: go to a hospital now."


@pytest.mark.parametrize("age_years, age_months", [(0, 3), (0, 11), (2, 24), (1, None), (35, None), (None, None)])
def test_fever_from_three_months_is_not_the_infant_red_flag(age_years, age_months):
    assert "infant-fever" not in reasons("fever", age_years=age_years, age_months=age_months)


def test_an_infant_without_fever_is_not_referred():
    assert reasons("nappy rash", age_years=0, age_months=1) == []


def test_several_red_flags_give_one_reason_each_in_a_fixed_order():
    result = triage(chief_complaint="胸痛", symptoms=["shortness of breath", "chest pain", "vomiting blood"],
                    age_years=60, pregnant=None)
    assert [r.code for r in result] == ["chest-pain", "breathing-difficulty", "severe-bleeding"]
    assert all(isinstance(r, TriageReason) and r.message for r in result)


def test_empty_input_is_not_referred():
    assert reasons("", symptoms=["", "  "]) == []


def test_a_missing_complaint_or_symptom_is_skipped_and_the_rest_still_checked():
    assert reasons(None, symptoms=[None, "chest pain"]) == ["chest-pain"]
