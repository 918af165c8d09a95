"""Red-flag triage: each red flag in English and Chinese refers the patient offline; safe visits pass."""

import pytest

from decimal import Decimal

from consult.triage import INFANT_FEVER, RED_FLAGS, TriageReason, highest_temperature, triage


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


def test_every_red_flag_rule_has_a_positive_and_a_negated_case_in_both_languages():
    for flag in RED_FLAGS:
        cases = [case for case in TABLE if case[0] == flag.code]
        assert {(language, refers) for _, language, refers, _, _ in cases} == {
            ("en", True), ("zh", True), ("en", False), ("zh", False)}, flag.code


def test_every_rule_has_a_source():
    for flag in (*RED_FLAGS, INFANT_FEVER):
        assert flag.source.strip(), flag.code
    assert {r.source for r in triage(chief_complaint="chest pain", symptoms=[], age_years=50, pregnant=None)} == {
        next(f.source for f in RED_FLAGS if f.code == "chest-pain")}


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
    [reason] = triage(chief_complaint="vaginal bleeding", symptoms=[], age_years=30, pregnant=True)
    assert reason.code == "pregnancy-bleeding-or-pain"
    assert reason.message.endswith("go to an emergency or obstetric department now.")


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
        TriageReason("infant-fever", INFANT_FEVER.message, INFANT_FEVER.source)]


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


# ---- the table: every rule, English and Chinese, a case that refers and a negated or near case that does not

ADULT, PREGNANT, TWO_MONTHS, FOUR_MONTHS = ({"age_years": 35}, {"age_years": 30, "pregnant": True},
                                            {"age_years": 0, "age_months": 2}, {"age_years": 0, "age_months": 4})
TABLE = [
    # code, language, refers, text, context
    ("chest-pain", "en", True, "pain radiating to my left arm and sweating", ADULT),
    ("chest-pain", "en", True, "crushing pain going down the left arm", ADULT),
    ("chest-pain", "en", True, "chest discomfort, pain spreading to my jaw", ADULT),
    ("chest-pain", "zh", True, "胸口压迫感，放射到左臂", ADULT),
    ("chest-pain", "zh", True, "心前区疼痛", ADULT),
    ("chest-pain", "en", False, "no chest pain, no pain radiating to my arm", ADULT),
    ("chest-pain", "en", False, "I don't have chest pain", ADULT),
    ("chest-pain", "en", True, "the pain is radiating to my jaw", ADULT),
    ("chest-pain", "en", False, "an itchy rash spreading to my arm", ADULT),
    ("chest-pain", "zh", False, "无明显胸痛", ADULT),
    ("breathing-difficulty", "en", True, "so short of breath I can't finish a sentence", ADULT),
    ("breathing-difficulty", "zh", True, "喘不上气", ADULT),
    ("breathing-difficulty", "en", False, "denies shortness of breath", ADULT),
    ("breathing-difficulty", "zh", False, "否认呼吸困难", ADULT),
    ("stroke-signs", "en", True, "her mouth drooping on one side", ADULT),
    ("stroke-signs", "en", True, "I can't lift my arm since this morning", ADULT),
    ("stroke-signs", "en", True, "his speech is slurred", ADULT),
    ("stroke-signs", "zh", True, "嘴角歪，说话含糊", ADULT),
    ("stroke-signs", "zh", True, "突然单侧无力", ADULT),
    ("stroke-signs", "en", False, "no face droop, no arm weakness, no slurred speech", ADULT),
    ("stroke-signs", "zh", False, "没有口角歪斜", ADULT),
    ("suicide-risk", "en", True, "sometimes I wish I wouldn't wake up", ADULT),
    ("suicide-risk", "en", True, "I don't want to be alive anymore", ADULT),
    ("suicide-risk", "en", True, "there's no reason to live", ADULT),
    ("suicide-risk", "zh", True, "活着没意思，不想醒来", ADULT),
    ("suicide-risk", "zh", True, "真的不想活了", ADULT),
    ("suicide-risk", "en", False, "denies suicidal thoughts", ADULT),
    ("suicide-risk", "en", False, "I wake up tired every day", ADULT),
    ("suicide-risk", "zh", False, "否认自杀念头", ADULT),
    ("overdose-or-poisoning", "en", True, "I took too many pills an hour ago", ADULT),
    ("overdose-or-poisoning", "en", True, "my son accidentally swallowed a button battery", ADULT),
    ("overdose-or-poisoning", "zh", True, "孩子误服了降压药", ADULT),
    ("overdose-or-poisoning", "zh", True, "吃了一整瓶安眠药", ADULT),
    ("overdose-or-poisoning", "en", False, "food poisoning last week, better now", ADULT),
    ("overdose-or-poisoning", "en", False, "how much paracetamol can I take without an overdose", ADULT),
    ("overdose-or-poisoning", "zh", False, "上周食物中毒，已经好了", ADULT),
    ("anaphylaxis", "en", True, "throat tightness after the antibiotic", ADULT),
    ("anaphylaxis", "en", True, "my throat feels tight and I have hives", ADULT),
    ("anaphylaxis", "zh", True, "吃药后喉咙发紧", ADULT),
    ("anaphylaxis", "en", False, "sore throat, no throat tightness", ADULT),
    ("anaphylaxis", "zh", False, "没有喉咙发紧，只是嗓子痛", ADULT),
    ("meningitis-signs", "en", True, "fever and a stiff neck", ADULT),
    ("meningitis-signs", "en", True, "temperature 38.6, neck is stiff", ADULT),
    ("meningitis-signs", "en", True, "spots on her legs, a rash that doesn't fade when I press a glass", ADULT),
    ("meningitis-signs", "zh", True, "发烧，脖子僵硬", ADULT),
    ("meningitis-signs", "zh", True, "颈项强直", ADULT),
    ("meningitis-signs", "en", False, "stiff neck after sleeping badly", ADULT),
    ("meningitis-signs", "en", False, "mild fever, no stiff neck", ADULT),
    ("meningitis-signs", "zh", False, "发烧，没有脖子僵硬", ADULT),
    ("loss-of-consciousness", "en", True, "she fainted at breakfast", ADULT),
    ("loss-of-consciousness", "zh", True, "突然晕倒", ADULT),
    ("loss-of-consciousness", "en", False, "no loss of consciousness", ADULT),
    ("loss-of-consciousness", "zh", False, "无抽搐", ADULT),
    ("severe-bleeding", "en", True, "I vomited blood twice", ADULT),
    ("severe-bleeding", "zh", True, "今天吐血", ADULT),
    ("severe-bleeding", "en", False, "no black stools", ADULT),
    ("severe-bleeding", "zh", False, "没有黑便", ADULT),
    ("pregnancy-bleeding-or-pain", "en", True, "some bleeding today", PREGNANT),
    ("pregnancy-bleeding-or-pain", "zh", True, "怀孕8周，见红", ADULT),
    ("pregnancy-bleeding-or-pain", "en", False, "pregnant, no bleeding", ADULT),
    ("pregnancy-bleeding-or-pain", "zh", False, "怀孕12周，没有腹痛", ADULT),
    ("possible-ectopic-pregnancy", "en", True, "missed my period and have pain on one side", ADULT),
    ("possible-ectopic-pregnancy", "en", True, "shoulder tip pain", PREGNANT),
    ("possible-ectopic-pregnancy", "zh", True, "停经6周，右下腹痛", ADULT),
    ("possible-ectopic-pregnancy", "en", False, "period is late, no pain", ADULT),
    ("possible-ectopic-pregnancy", "en", False, "left lower abdominal pain after running", ADULT),
    ("possible-ectopic-pregnancy", "zh", False, "月经推迟，没有左下腹痛", ADULT),
    ("pre-eclampsia-signs", "en", True, "34 weeks pregnant with a severe headache and blurred vision", ADULT),
    ("pre-eclampsia-signs", "en", True, "sudden swelling of my feet", PREGNANT),
    ("pre-eclampsia-signs", "zh", True, "孕32周，头痛得厉害，眼前闪光", ADULT),
    ("pre-eclampsia-signs", "en", False, "severe headache after a long day", ADULT),
    ("pre-eclampsia-signs", "en", False, "no blurred vision, no severe headache", PREGNANT),
    ("pre-eclampsia-signs", "zh", False, "孕30周，无视物模糊", ADULT),
    ("reduced-fetal-movements", "en", True, "the baby is moving less since yesterday", ADULT),
    ("reduced-fetal-movements", "zh", True, "孕36周，胎动减少", ADULT),
    ("reduced-fetal-movements", "en", False, "no reduced fetal movements, baby kicking a lot", PREGNANT),
    ("reduced-fetal-movements", "zh", False, "没有胎动减少", PREGNANT),
    ("infant-fever", "en", True, "temperature 38.1 this morning", TWO_MONTHS),
    ("infant-fever", "en", True, "she is hot, 39.2°C", FOUR_MONTHS),
    ("infant-fever", "en", True, "fever of 103°F", FOUR_MONTHS),
    ("infant-fever", "zh", True, "宝宝发烧39度", FOUR_MONTHS),
    ("infant-fever", "zh", True, "体温38.0℃", TWO_MONTHS),
    ("infant-fever", "en", False, "no fever, temperature 37.2", TWO_MONTHS),
    ("infant-fever", "en", False, "fever of 38.6", FOUR_MONTHS),
    ("infant-fever", "zh", False, "没有发烧", TWO_MONTHS),
    ("infant-fever", "zh", False, "发热38.8度", FOUR_MONTHS),
]


@pytest.mark.parametrize("code, language, refers, text, context", TABLE,
                         ids=[f"{c}-{lang}-{'refers' if r else 'safe'}-{i}" for i, (c, lang, r, _, _) in enumerate(TABLE)])
def test_each_rule_refers_on_its_signs_and_not_when_negated(code, language, refers, text, context):
    found = reasons(text, **context)
    assert (code in found) is refers
    if not refers and not any(case[0] != code and case[3] == text for case in TABLE):
        assert found == []  # a safe case is safe for every rule


def test_the_infant_fever_rule_is_in_the_table():
    assert "infant-fever" in {case[0] for case in TABLE}


@pytest.mark.parametrize("text, celsius", [
    ("38.5", Decimal("38.5")), ("39℃", Decimal("39.0")), ("发热38.5度", Decimal("38.5")), ("101°F", Decimal("38.3")),
    ("fever 102", Decimal("38.9")), ("temp 37.8 then 38.4", Decimal("38.4")), ("for 38 hours", None),
    ("8 weeks pregnant", None), ("10周", None), ("", None),
])
def test_the_highest_written_temperature_is_read_in_celsius(text, celsius):
    assert highest_temperature([text.casefold()]) == celsius


@pytest.mark.parametrize("age_months, text, refers", [
    (2, "temperature 37.9", False), (2, "temperature 38.0", True), (2, "feverish", True),
    (3, "temperature 38.9", False), (3, "temperature 39.0", True), (5, "39度", True), (5, "fever", False),
    (6, "temperature 39.5", False), (11, "40℃", False),
])
def test_infant_fever_follows_the_nice_age_bands(age_months, text, refers):
    assert ("infant-fever" in reasons(text, age_years=0, age_months=age_months)) is refers


def test_signs_in_later_messages_combine_with_the_complaint():
    assert reasons("mild fever", symptoms=[]) == []
    assert [r.code for r in triage(chief_complaint="mild fever", symptoms=[], age_years=20, pregnant=None,
                                   messages=["and now my neck is stiff"])] == ["meningitis-signs"]
