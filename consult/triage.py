"""Red-flag triage: symptoms that need in-person or emergency care now, never a queued online visit.

Rules are data (phrases in English and Chinese, each rule with its source); matching is
case-insensitive on whole words and phrases (Chinese anywhere, as it has no word breaks). A phrase
negated right before it ("no chest pain", "denies chest pain", "I don't have chest pain", "no pain
radiating to my arm", "无胸痛", "没有胸痛", "无明显胸痛") does not count. We err on the side of
referring: "chest tightness" counts, "chest congestion" (a cold) does not, and an infant of unknown
months counts as under 3 months.

A rule fires on any one of its `phrases`; or on one phrase of each of its `together` groups, in
any of the patient's texts (a fever in the complaint and a stiff neck in a later message); or, in
a pregnant patient (by the record or by what she writes), on one of its `in_pregnancy` phrases.
Fever in infants is read from the temperature written (°C, ℃, 度 or °F) against NICE's age bands.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from core.i18n import N_


@dataclass(frozen=True)
class TriageReason:
    code: str
    message: str
    source: str


@dataclass(frozen=True)
class RedFlag:
    code: str
    message: str
    source: str
    phrases: tuple[str, ...] = ()
    together: tuple[tuple[str, ...], ...] = ()
    in_pregnancy: tuple[str, ...] = ()


def _each(*parts: Sequence[str]) -> tuple[str, ...]:
    """Every phrase made of one choice from each part, in order ("pain", "radiating to", "my arm")."""
    phrases = [""]
    for part in parts:
        phrases = [f"{head} {choice}".strip() for head in phrases for choice in part]
    return tuple(phrases)


FEVER_WORDS = ("fever", "feverish", "febrile", "high temperature", "temperature of 38", "temperature of 39",
               "temperature of 40", "hot to touch", "发烧", "发热", "高烧", "高热", "体温升高")
PREGNANCY_WORDS = ("pregnant", "pregnancy", "weeks pregnant", "怀孕", "妊娠", "孕期", "孕妇", "孕周")

_RADIATION_TARGETS = (("my", "the"), ("arm", "left arm", "right arm", "arms", "jaw", "neck", "shoulder",
                                       "left shoulder", "back"))
# "Radiating" is said only of pain; "spreading" or "going" of a rash too, so those need the word pain.
CHEST_PAIN_RADIATION = (
    _each(("radiating to", "radiates to", "radiating down", "radiates down", "radiating into"), *_RADIATION_TARGETS)
    + _each(("pain", "chest pain"), ("spreading to", "spreads to", "going to", "going down", "goes down",
                                     "going into", "moving to", "moves to"), *_RADIATION_TARGETS)
    + ("放射到左臂", "放射至左臂", "放射到手臂", "放射到下颌", "放射至下颌", "放射到下巴", "放射到左肩", "放射至左肩",
       "放射到后背", "向左臂放射", "向左肩放射", "向下颌放射", "牵涉到左臂", "左臂放射痛"))
STIFF_NECK = ("stiff neck", "neck stiffness", "neck is stiff", "neck feels stiff", "can't bend my neck",
              "cannot bend my neck", "can't touch my chin to my chest", "cannot touch my chin to my chest",
              "脖子僵硬", "脖子发硬", "脖子硬", "颈部僵硬", "颈部发硬", "颈强直")
MISSED_PERIOD = ("missed period", "missed my period", "missed a period", "period is late", "late period",
                 "period hasn't come", "period has not come", "no period for", "period is overdue",
                 "停经", "月经推迟", "月经延迟", "月经没来", "月经过期", "大姨妈没来", "例假没来", "例假推迟")
ONE_SIDED_PAIN = ("pain on one side", "one-sided pain", "one sided pain", "one side of my lower abdomen",
                  "one side of my tummy", "one side of my belly", "left lower abdominal pain",
                  "right lower abdominal pain", "lower left abdominal pain", "lower right abdominal pain",
                  "pain in my lower left", "pain in my lower right", "shoulder tip pain",
                  "一侧下腹痛", "单侧下腹痛", "一侧腹痛", "左下腹痛", "右下腹痛", "左下腹疼", "右下腹疼", "肩尖痛")
PREGNANCY_PROBLEMS = ("bleeding", "vaginal bleeding", "spotting", "abdominal pain", "stomach pain", "belly pain",
                      "tummy pain", "pelvic pain", "cramping", "cramps", "contractions", "waters broke",
                      "fluid leaking", "阴道出血", "出血", "见红", "流血", "腹痛", "肚子痛", "肚子疼", "下腹痛",
                      "小腹痛", "腹部疼痛", "宫缩", "破水")
PRE_ECLAMPSIA_SIGNS = ("severe headache", "bad headache", "terrible headache", "blurred vision", "blurry vision",
                       "flashing lights", "seeing spots", "spots in front of my eyes", "sudden swelling",
                       "swelling of my face", "swelling of my hands", "swollen face", "swollen hands", "puffy face",
                       "pain below the ribs", "pain just below the ribs", "pain under my ribs",
                       "剧烈头痛", "头痛得厉害", "头痛欲裂", "视物模糊", "视力模糊", "看东西模糊", "眼前闪光", "眼冒金星",
                       "突然水肿", "突然浮肿", "脸肿", "面部水肿", "面部浮肿", "手脚肿", "手肿", "肋下疼痛", "上腹痛",
                       "右上腹痛")

RED_FLAGS = (
    RedFlag("chest-pain",
            N_("Chest pain or pressure can be a heart attack: call emergency services (120 / 911) or go to an "
            "emergency department now."),
            "NICE CG95 Recent-onset chest pain of suspected cardiac origin (2010, updated 2016); NICE NG185 Acute "
            "coronary syndromes (2020); 急性冠脉综合征急诊快速诊治指南（2019）",
            ("chest pain", "chest pains", "pain in my chest", "pain in the chest", "chest tightness", "tight chest",
             "chest pressure", "pressure in my chest", "crushing chest", "squeezing chest", "chest discomfort",
             "heart attack", "angina attack",
             "胸痛", "胸口痛", "胸口疼", "胸部疼痛", "心口痛", "胸闷", "胸口压迫", "压榨性胸痛", "胸部压榨感",
             "心前区疼痛", "心前区痛", "心绞痛发作", "心梗", *CHEST_PAIN_RADIATION)),
    RedFlag("breathing-difficulty",
            N_("Difficulty breathing needs urgent in-person care: call emergency services or go to an emergency "
            "department."),
            "NHS (nhs.uk): Shortness of breath — when to call 999 or go to A&E",
            ("shortness of breath", "short of breath", "difficulty breathing", "difficult breathing",
             "trouble breathing", "hard to breathe", "can't breathe", "cant breathe", "cannot breathe",
             "unable to breathe", "struggling to breathe", "breathless", "breathlessness", "dyspnea", "dyspnoea",
             "gasping for air", "choking", "lips turning blue", "blue lips",
             "呼吸困难", "喘不过气", "喘不上气", "透不过气", "气促", "气短", "呼吸急促", "憋气", "窒息", "嘴唇发紫",
             "无法呼吸", "不能呼吸")),
    RedFlag("stroke-signs",
            N_("Signs of a stroke (face drooping, arm weakness, speech difficulty): call emergency services now; "
            "every minute counts."),
            "NICE NG128 Stroke and TIA in over 16s (2019, updated 2022), 1.1.1: FAST outside hospital; "
            "中国急性缺血性脑卒中诊治指南2018",
            ("face droop", "face drooping", "facial droop", "drooping face", "face is drooping", "droopy face",
             "mouth drooping", "drooping mouth", "crooked smile", "uneven smile",
             "arm weakness", "weak arm", "arm feels weak", "weakness in one arm", "weakness on one side",
             "weak on one side", "one sided weakness", "one side weakness", "sudden weakness", "can't lift my arm",
             "cannot lift my arm", "can't raise my arm", "slurred speech", "speech is slurred", "slurring",
             "trouble speaking", "difficulty speaking", "can't speak", "cannot speak", "sudden numbness",
             "numbness on one side", "sudden confusion", "sudden vision loss", "sudden loss of vision",
             "worst headache", "thunderclap headache", "sudden severe headache", "having a stroke",
             "口角歪斜", "嘴歪", "嘴角歪", "嘴角下垂", "口眼歪斜", "面瘫", "言语不清", "说话不清", "口齿不清", "说话含糊",
             "说不出话", "吐字不清", "一侧肢体无力", "单侧肢体无力", "单侧无力", "一侧无力", "半身无力", "半身不遂",
             "偏瘫", "胳膊抬不起来", "突然麻木", "半身麻木", "突然意识模糊", "突然视物不清", "突发剧烈头痛",
             "突然剧烈头痛")),
    RedFlag("suicide-risk",
            N_("Thoughts of suicide or self-harm need help now: call emergency services, a crisis line "
            "(China 12356, US 988), or go to an emergency department."),
            "NICE NG225 Self-harm: assessment, management and preventing recurrence (2022)",
            ("suicide", "suicidal", "kill myself", "killing myself", "end my life", "ending my life", "take my life",
             "want to die", "wish i was dead", "wish i were dead", "better off dead", "self harm", "self-harm",
             "harm myself", "hurt myself", "hurting myself", "cutting myself", "overdose on purpose",
             # passive wording: wishing not to be alive is asked about and acted on as ideation
             "wish i wouldn't wake up", "wish i would not wake up", "wish i didn't wake up", "hope i don't wake up",
             "hope i do not wake up", "don't want to wake up", "do not want to wake up", "never wake up",
             "don't want to be alive", "do not want to be alive", "don't want to live", "do not want to live",
             "don't want to be here anymore", "no reason to live", "nothing to live for", "better off without me",
             "tired of living", "end it all",
             "自杀", "轻生", "不想活", "想死", "活不下去", "活着没意思", "活着没有意义", "不如死了", "活够了",
             "不想醒来", "一睡不醒", "结束生命", "了结自己", "自残", "自伤", "割腕", "伤害自己")),
    RedFlag("overdose-or-poisoning",
            N_("An overdose or a swallowed poison needs emergency care now, even without symptoms yet: call "
            "emergency services (120 / 911) or a poison centre, and bring the package."),
            "NICE NG225 Self-harm (2022): self-poisoning; 急性中毒诊断与治疗中国专家共识（2016）",
            ("took an overdose", "taken an overdose", "i overdosed", "overdosed on", "have overdosed", "has overdosed",
             "accidental overdose", "took too many pills", "took too many tablets", "taken too many pills",
             "taken too many tablets", "swallowed too many", "took the whole bottle", "took a whole bottle",
             "took the whole packet", "took a whole packet", "swallowed a whole bottle", "swallowed bleach",
             "drank bleach", "swallowed a battery", "swallowed a button battery", "ate rat poison", "drank antifreeze",
             "swallowed pesticide", "drank pesticide", "swallowed poison", "drank poison", "been poisoned",
             "was poisoned", "carbon monoxide poisoning", "accidentally swallowed",
             "服药过量", "吃药过量", "药物过量", "吃了一整瓶", "吃了一整板", "吞了一整瓶", "吞服大量", "误服", "误食",
             "喝了农药", "喝农药", "农药中毒", "百草枯", "老鼠药", "喝了消毒液", "喝了84", "吞了电池", "一氧化碳中毒",
             "煤气中毒", "药物中毒")),
    RedFlag("severe-bleeding",
            N_("Heavy bleeding, vomiting blood or black stools need urgent in-person care: go to an emergency "
            "department."),
            "NICE CG141 Acute upper gastrointestinal bleeding in over 16s (2012, updated 2016)",
            ("heavy bleeding", "severe bleeding", "bleeding heavily", "bleeding a lot", "bleeding won't stop",
             "bleeding will not stop", "bleeding that won't stop", "uncontrolled bleeding", "vomiting blood",
             "vomited blood", "throwing up blood", "blood in vomit", "blood in my vomit", "haematemesis",
             "hematemesis", "coughing up blood", "coughed up blood", "haemoptysis", "hemoptysis", "black stool",
             "black stools", "black tarry stool", "black tarry stools", "tarry stool", "tarry stools", "melaena",
             "melena", "passing blood", "large amount of blood in stool",
             "大出血", "出血不止", "血流不止", "大量出血", "呕血", "吐血", "咯血", "咳血", "黑便", "柏油样便",
             "柏油便", "大量便血")),
    RedFlag("anaphylaxis",
            N_("Swelling or tightness of the throat, tongue or face after a drug, food or sting can be anaphylaxis: "
            "use an adrenaline auto-injector if prescribed and call emergency services."),
            "NICE CG134 Anaphylaxis: assessment and referral after emergency treatment (2011, updated 2020); "
            "Resuscitation Council UK: Emergency treatment of anaphylaxis (2021)",
            ("anaphylaxis", "anaphylactic", "throat swelling", "swollen throat", "throat closing", "throat tightness",
             "tight throat", "throat feels tight", "throat is tight", "tightness in my throat", "tongue swelling",
             "swollen tongue", "lips swelling", "swollen lips", "face swelling", "swollen face",
             "过敏性休克", "喉头水肿", "喉咙肿", "喉咙发紧", "喉咙紧", "嗓子发紧", "喉头发紧", "咽喉发紧", "舌头肿",
             "嘴唇肿", "面部肿胀")),
    RedFlag("meningitis-signs",
            N_("A stiff neck with fever, or a rash that does not fade under a pressed glass, can be meningitis or "
            "sepsis: go to an emergency department now."),
            "NICE NG240 Meningitis (bacterial) and meningococcal disease: recognition, diagnosis and management "
            "(2024)",
            ("non-blanching rash", "rash that doesn't fade", "rash that does not fade", "rash doesn't fade",
             "rash does not fade", "spots that don't fade", "neck rigidity", "meningism",
             "颈项强直", "压之不褪色", "按压不褪色", "按压后不褪色"),
            together=(STIFF_NECK, FEVER_WORDS)),
    RedFlag("loss-of-consciousness",
            N_("Fainting, unconsciousness or a seizure needs urgent in-person care."),
            "NICE CG109 Transient loss of consciousness in over 16s (2010, updated 2023); NICE NG217 Epilepsies "
            "(2022)",
            ("unconscious", "unresponsive", "loss of consciousness", "lost consciousness", "passed out", "fainted",
             "fainting", "blacked out", "collapse", "collapsed", "seizure", "seizures", "convulsion",
             "convulsions",
             "昏迷", "晕厥", "晕倒", "昏倒", "意识不清", "意识丧失", "不省人事", "抽搐", "惊厥", "癫痫发作")),
    RedFlag("pregnancy-bleeding-or-pain",
            N_("Bleeding or abdominal pain in pregnancy can be a miscarriage, an ectopic pregnancy or a placental "
            "problem: go to an emergency or obstetric department now."),
            "NICE NG126 Ectopic pregnancy and miscarriage (2019, updated 2023)",
            in_pregnancy=PREGNANCY_PROBLEMS),
    RedFlag("possible-ectopic-pregnancy",
            N_("A missed period with pain on one side of the lower abdomen (or shoulder-tip pain) can be an ectopic "
            "pregnancy: go to an emergency or gynaecology department today."),
            "NICE NG126 Ectopic pregnancy and miscarriage (2019, updated 2023): symptoms of ectopic pregnancy",
            together=(MISSED_PERIOD, ONE_SIDED_PAIN), in_pregnancy=ONE_SIDED_PAIN),
    RedFlag("pre-eclampsia-signs",
            N_("A severe headache, changes in vision, sudden swelling or pain below the ribs in pregnancy can be "
            "pre-eclampsia: have your blood pressure checked at a maternity unit today."),
            "NICE NG133 Hypertension in pregnancy (2019, updated 2023): symptoms of pre-eclampsia; "
            "妊娠期高血压疾病诊治指南（2020）",
            in_pregnancy=PRE_ECLAMPSIA_SIGNS),
    RedFlag("reduced-fetal-movements",
            N_("Fewer or no movements of the baby need a check at a maternity unit today, not tomorrow."),
            "RCOG Green-top Guideline No. 57: Reduced Fetal Movements (2011)",
            ("reduced fetal movements", "reduced fetal movement", "reduced foetal movements", "baby moving less",
             "baby is moving less", "baby has stopped moving", "baby hasn't moved", "baby has not moved",
             "baby not moving", "baby isn't moving", "baby is not moving", "fewer kicks", "less kicking",
             "can't feel the baby move", "can't feel my baby move", "cannot feel the baby move",
             "胎动减少", "胎动少了", "胎动变少", "胎动明显减少", "感觉不到胎动", "胎动消失")),
)


@dataclass(frozen=True)
class FeverBand:
    """Infants from `from_months` up to (not including) `under_months`: this temperature or more refers."""

    from_months: int
    under_months: int
    celsius: Decimal
    words_suffice: bool  # "fever" without a number is enough


# NICE NG143 Fever in under 5s (2019, updated 2021), table 1 (traffic-light system): age under 3 months with
# a temperature of 38 °C or higher is red, age 3–6 months with 39 °C or higher amber; either needs a
# face-to-face assessment, not a remote one (section 1.3, management by remote assessment).
INFANT_FEVER_BANDS = (FeverBand(0, 3, Decimal("38.0"), words_suffice=True),
                      FeverBand(3, 6, Decimal("39.0"), words_suffice=False))
INFANT_FEVER = RedFlag(
    "infant-fever",
    N_("Fever in a baby under 3 months (38 °C or more), or 39 °C or more in a baby of 3 to 6 months, must be seen "
    "in person today: go to a hospital now."),
    "NICE NG143 Fever in under 5s (2019, updated 2021), table 1: under 3 months ≥38 °C (red), 3–6 months "
    "≥39 °C (amber)")

# A phrase right after one of these is negated ("no chest pain", "no fever or chest pain"), with only
# FILLER words between ("no pain radiating", "don't have chest pain", "without any chest pain"); anything
# looser ("not sure if it is chest pain", "not just chest pain", "没有出现胸痛") still counts, to err on
# the side of referral. "never" is no negation: "never had chest pain like this" is chest pain now.
EN_NEGATIONS = ("no", "not", "without", "denies", "denied", "denying", "negative for", "free of",
                "don't", "do not", "doesn't", "does not", "didn't", "did not", "haven't", "have not", "hasn't",
                "has not")
EN_FILLER = ("any", "a", "an", "have", "has", "had", "signs", "sign", "symptoms", "of", "pain")
ZH_NEGATIONS = ("无", "没有", "没", "否认", "未见", "未", "不伴", "不伴有")
ZH_FILLER = ("明显", "任何")
_CJK = re.compile(r"[\u3400-\u9fff]")
_GESTATION_ZH = re.compile(r"孕\s*\d+\s*(?:周|w)")  # 孕32周: 32 weeks pregnant
_CLAUSE_BREAK = re.compile(r"[.;,:!?。；，：！？、|]| but | however | though ")
# A number with a temperature unit after it, or after a temperature word: 38.5, 38.5°c, 39℃, 39度, 101°f.
_TEMPERATURE = re.compile(
    r"(?:(?P<word>temp|temperature|fever|体温|发烧|发热|烧到|高烧|高热)\D{0,12}?)?"
    r"(?<![\d.])(?P<value>\d{2,3}(?:\.\d+)?)\s*(?P<unit>°\s*c|℃|°\s*f|℉|度|degrees?\s*(?:c|celsius|f|fahrenheit)?"
    r"|celsius|fahrenheit|c\b|f\b)?")


def _normal(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


@functools.lru_cache(maxsize=None)
def _phrase_pattern(phrase: str) -> re.Pattern:
    if _CJK.search(phrase):
        return re.compile(re.escape(phrase))
    escaped = re.escape(phrase).replace(r"\ ", r"[\s-]+")  # "self harm" also matches "self-harm"
    return re.compile(rf"(?<![\w-]){escaped}(?![\w-])")


def _mentioned(text: str, phrase: str) -> bool:
    """Does `text` (normalised) mention `phrase` somewhere other than negated?"""
    if _CJK.search(phrase):
        for match in _phrase_pattern(phrase).finditer(text):
            before = text[max(0, match.start() - 6):match.start()]
            for filler in ZH_FILLER:
                before = before.removesuffix(filler)
            if not any(before.endswith(word) for word in ZH_NEGATIONS):
                return True
        return False
    for match in _phrase_pattern(phrase).finditer(text):
        if not _negated(re.findall(r"[\w']+", _CLAUSE_BREAK.split(text[:match.start()])[-1])):
            return True
    return False


def _negated(words: list[str]) -> bool:
    """The words before a phrase end in a negation (fillers aside), or in "<negation> <symptom> or"."""
    def ends_with_negation(ws):
        while ws and ws[-1] in EN_FILLER:
            ws = ws[:-1]
        return any(ws[-len(n.split()):] == n.split() for n in EN_NEGATIONS)
    if ends_with_negation(words):
        return True
    return bool(words) and words[-1] in ("or", "nor") and any(
        ends_with_negation(words[:end]) for end in range(len(words) - 2, max(len(words) - 5, 0), -1))


def _any(texts: Sequence[str], phrases: Sequence[str]) -> bool:
    return any(_mentioned(text, phrase) for text in texts for phrase in phrases)


def highest_temperature(texts: Sequence[str]) -> Decimal | None:
    """The highest body temperature written in `texts`, in °C (°F converted); None if none is."""
    found = []
    for text in texts:
        for match in _TEMPERATURE.finditer(text):
            value, unit = Decimal(match["value"]), (match["unit"] or "").replace(" ", "")
            fahrenheit = "f" in unit or "℉" in unit
            if not unit and not match["word"] and "." not in match["value"]:
                continue  # a bare whole number ("for 38 hours") is no temperature
            if not fahrenheit and not unit and Decimal(93) <= value <= Decimal(110) and match["word"]:
                fahrenheit = True  # "fever 101": only Fahrenheit reads so
            celsius = (value - 32) * 5 / 9 if fahrenheit else value
            if Decimal(34) <= celsius <= Decimal("43.5"):
                found.append(celsius.quantize(Decimal("0.1")))
    return max(found, default=None)


def _fires(flag: RedFlag, texts: Sequence[str], pregnant: bool, fever: bool) -> bool:
    def present(group):
        return (group is FEVER_WORDS and fever) or _any(texts, group)
    return (_any(texts, flag.phrases)
            or bool(flag.together) and all(present(group) for group in flag.together)
            or pregnant and _any(texts, flag.in_pregnancy))


def _infant_fever(texts: Sequence[str], age_years: int | None, age_months: int | None) -> bool:
    if age_months is None:
        if age_years is None or age_years >= 1:
            return False
        age_months = 0  # a baby of unknown months is treated as possibly under 3 months
    temperature = highest_temperature(texts)
    for band in INFANT_FEVER_BANDS:
        if band.from_months <= age_months < band.under_months:
            measured = temperature is not None and temperature >= band.celsius
            return measured or (band.words_suffice and _any(texts, FEVER_WORDS))
    return False


def triage(*, chief_complaint: str, symptoms: Sequence[str], age_years: int | None, pregnant: bool | None,
           age_months: int | None = None, messages: Sequence[str] = ()) -> list[TriageReason]:
    """Reasons this patient must be referred offline now (empty: an online visit may proceed).

    `messages` are what the patient has written since: read together with the complaint, so a
    fever in the complaint and a stiff neck in a message make one finding. `age_months`
    (completed months) refines `age_years` for infants; with only `age_years == 0` the baby is
    treated as possibly under 3 months.
    """
    texts = [_normal(t) for t in (chief_complaint or "", *(symptoms or ()), *messages) if t and t.strip()]
    temperature = highest_temperature(texts)
    fever = _any(texts, FEVER_WORDS) or (temperature is not None and temperature >= Decimal("38.0"))
    pregnant_now = (bool(pregnant) or _any(texts, PREGNANCY_WORDS)
                    or any(_GESTATION_ZH.search(text) for text in texts))
    reasons = [TriageReason(flag.code, flag.message, flag.source) for flag in RED_FLAGS
               if _fires(flag, texts, pregnant_now, fever)]
    if _infant_fever(texts, age_years, age_months):
        reasons.append(TriageReason(INFANT_FEVER.code, INFANT_FEVER.message, INFANT_FEVER.source))
    return reasons
