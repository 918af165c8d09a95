"""Red-flag triage: symptoms that need in-person or emergency care now, never a queued online visit.

Rules are data (phrases in English and Chinese); matching is case-insensitive on whole words and
phrases (Chinese anywhere, as it has no word breaks). A phrase directly negated ("no chest pain",
"denies chest pain", "无胸痛", "没有胸痛") does not count. We err on the side of referring: "chest
tightness" counts, "chest congestion" (a cold) does not, and an infant of unknown months counts
as under 3 months.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class TriageReason:
    code: str
    message: str


@dataclass(frozen=True)
class RedFlag:
    code: str
    message: str
    phrases: tuple[str, ...]


RED_FLAGS = (
    RedFlag("chest-pain",
            "Chest pain or pressure can be a heart attack: call emergency services (120 / 911) or go to an "
            "emergency department now.",
            ("chest pain", "chest pains", "pain in my chest", "pain in the chest", "chest tightness", "tight chest",
             "chest pressure", "pressure in my chest", "crushing chest", "heart attack", "angina attack",
             "胸痛", "胸口痛", "胸口疼", "胸部疼痛", "心口痛", "胸闷", "胸口压迫", "心绞痛发作", "心梗")),
    RedFlag("breathing-difficulty",
            "Difficulty breathing needs urgent in-person care: call emergency services or go to an emergency "
            "department.",
            ("shortness of breath", "short of breath", "difficulty breathing", "difficult breathing",
             "trouble breathing", "hard to breathe", "can't breathe", "cant breathe", "cannot breathe",
             "unable to breathe", "struggling to breathe", "breathless", "breathlessness", "dyspnea", "dyspnoea",
             "gasping for air", "choking", "lips turning blue", "blue lips",
             "呼吸困难", "喘不过气", "喘不上气", "透不过气", "气促", "气短", "呼吸急促", "憋气", "窒息", "嘴唇发紫",
             "无法呼吸", "不能呼吸")),
    RedFlag("stroke-signs",
            "Signs of a stroke (face drooping, arm weakness, speech difficulty): call emergency services now; "
            "every minute counts.",
            ("face droop", "face drooping", "facial droop", "drooping face", "face is drooping", "droopy face",
             "arm weakness", "weak arm", "weakness in one arm", "weakness on one side", "one sided weakness",
             "one side weakness", "sudden weakness", "slurred speech", "slurring", "trouble speaking",
             "difficulty speaking", "can't speak", "cannot speak", "sudden numbness", "numbness on one side",
             "sudden confusion", "sudden vision loss", "sudden loss of vision", "worst headache",
             "thunderclap headache", "sudden severe headache", "having a stroke",
             "口角歪斜", "嘴歪", "口眼歪斜", "面瘫", "言语不清", "说话不清", "口齿不清", "说不出话", "吐字不清",
             "一侧肢体无力", "单侧肢体无力", "半身无力", "半身不遂", "偏瘫", "突然麻木", "半身麻木", "突然意识模糊",
             "突然视物不清", "突发剧烈头痛", "突然剧烈头痛")),
    RedFlag("suicide-risk",
            "Thoughts of suicide or self-harm need help now: call emergency services, a crisis line "
            "(China 12356, US 988), or go to an emergency department.",
            ("suicide", "suicidal", "kill myself", "killing myself", "end my life", "ending my life", "take my life",
             "want to die", "wish i was dead", "wish i were dead", "better off dead", "self harm", "self-harm",
             "harm myself", "hurt myself", "hurting myself", "cutting myself", "overdose on purpose",
             "自杀", "轻生", "不想活", "想死", "活不下去", "结束生命", "自残", "自伤", "割腕", "伤害自己")),
    RedFlag("severe-bleeding",
            "Heavy bleeding, vomiting blood or black stools need urgent in-person care: go to an emergency "
            "department.",
            ("heavy bleeding", "severe bleeding", "bleeding heavily", "bleeding a lot", "bleeding won't stop",
             "bleeding will not stop", "bleeding that won't stop", "uncontrolled bleeding", "vomiting blood",
             "vomited blood", "throwing up blood", "blood in vomit", "blood in my vomit", "haematemesis",
             "hematemesis", "coughing up blood", "coughed up blood", "haemoptysis", "hemoptysis", "black stool",
             "black stools", "black tarry stool", "black tarry stools", "tarry stool", "tarry stools", "melaena",
             "melena", "passing blood", "large amount of blood in stool",
             "大出血", "出血不止", "血流不止", "大量出血", "呕血", "吐血", "咯血", "咳血", "黑便", "柏油样便",
             "柏油便", "大量便血")),
    RedFlag("anaphylaxis",
            "Swelling of the throat, tongue or face after a drug, food or sting can be anaphylaxis: use an "
            "adrenaline auto-injector if prescribed and call emergency services.",
            ("anaphylaxis", "anaphylactic", "throat swelling", "swollen throat", "throat closing", "tongue swelling",
             "swollen tongue", "lips swelling", "swollen lips", "face swelling", "swollen face",
             "过敏性休克", "喉头水肿", "喉咙肿", "舌头肿", "嘴唇肿", "面部肿胀")),
    RedFlag("loss-of-consciousness",
            "Fainting, unconsciousness or a seizure needs urgent in-person care.",
            ("unconscious", "unresponsive", "loss of consciousness", "lost consciousness", "passed out", "fainted",
             "fainting", "blacked out", "collapse", "collapsed", "seizure", "seizures", "convulsion",
             "convulsions",
             "昏迷", "晕厥", "晕倒", "昏倒", "意识不清", "意识丧失", "不省人事", "抽搐", "惊厥", "癫痫发作")),
)

PREGNANCY_WORDS = ("pregnant", "pregnancy", "weeks pregnant", "怀孕", "妊娠", "孕期", "孕妇", "孕周")
PREGNANCY_PROBLEMS = ("bleeding", "vaginal bleeding", "spotting", "abdominal pain", "stomach pain", "belly pain",
                      "tummy pain", "pelvic pain", "cramping", "cramps", "contractions", "waters broke",
                      "fluid leaking", "阴道出血", "出血", "见红", "流血", "腹痛", "肚子痛", "肚子疼", "下腹痛",
                      "小腹痛", "腹部疼痛", "宫缩", "破水")
PREGNANCY_MESSAGE = ("Bleeding or abdominal pain in pregnancy can be a miscarriage, an ectopic pregnancy or a "
                     "placental problem: go to an emergency or obstetric department now.")
FEVER_WORDS = ("fever", "feverish", "febrile", "high temperature", "temperature of 38", "temperature of 39",
               "temperature of 40", "hot to touch", "发烧", "发热", "高烧", "高热", "体温升高")
INFANT_MONTHS = 3  # fever under 3 months may be serious bacterial infection: NICE NG143 (red, under 3 months ≥38 °C)
INFANT_MESSAGE = "Fever in a baby under 3 months must be seen in person today: go to a hospital now."

# A phrase right after one of these is negated ("no chest pain", "no fever or chest pain"); anything
# looser ("not sure if it is chest pain", "没有出现胸痛") still counts, to err on the side of referral.
EN_NEGATIONS = ("no", "not", "without", "denies", "denied", "negative for", "free of")
ZH_NEGATIONS = ("无", "没有", "没", "否认", "未见", "未", "不伴", "不伴有")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CLAUSE_BREAK = re.compile(r"[.;,:!?。；，：！？、|]| but | however | though ")


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
            before = text[max(0, match.start() - 4):match.start()]
            if not any(before.endswith(word) for word in ZH_NEGATIONS):
                return True
        return False
    for match in _phrase_pattern(phrase).finditer(text):
        if not _negated(re.findall(r"[\w']+", _CLAUSE_BREAK.split(text[:match.start()])[-1])):
            return True
    return False


def _negated(words: list[str]) -> bool:
    """The words before a phrase end in a negation, or in "<negation> <symptom> or"."""
    def ends_with_negation(ws):
        return any(ws[-len(n.split()):] == n.split() for n in EN_NEGATIONS)
    if ends_with_negation(words):
        return True
    return bool(words) and words[-1] in ("or", "nor") and any(
        ends_with_negation(words[:end]) for end in range(len(words) - 2, max(len(words) - 5, 0), -1))


def _any(texts: Sequence[str], phrases: Sequence[str]) -> bool:
    return any(_mentioned(text, phrase) for text in texts for phrase in phrases)


def triage(*, chief_complaint: str, symptoms: Sequence[str], age_years: int | None, pregnant: bool | None,
           age_months: int | None = None) -> list[TriageReason]:
    """Reasons this patient must be referred offline now (empty: an online visit may proceed).

    `age_months` (completed months) refines `age_years` for infants; with only `age_years == 0`
    the baby is treated as possibly under 3 months.
    """
    texts = [_normal(t) for t in (chief_complaint or "", *(symptoms or ())) if t and t.strip()]
    reasons = [TriageReason(flag.code, flag.message) for flag in RED_FLAGS if _any(texts, flag.phrases)]
    if (pregnant or _any(texts, PREGNANCY_WORDS)) and _any(texts, PREGNANCY_PROBLEMS):
        reasons.append(TriageReason("pregnancy-bleeding-or-pain", PREGNANCY_MESSAGE))
    if age_months is not None:
        infant = age_months < INFANT_MONTHS
    else:
        infant = age_years is not None and age_years < 1
    if infant and _any(texts, FEVER_WORDS):
        reasons.append(TriageReason("infant-fever", INFANT_MESSAGE))
    return reasons
