"""Jurisdiction rule sets (cn, us) as data, every rule with its citation; pure functions read them."""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Sequence

import yaml

from core.i18n import _, in_language

DEFAULT_POLICY = "cn"
CN_ONLINE_SALE_FILE = Path(__file__).parent / "cn_online_sale_prohibited.yaml"


@dataclass(frozen=True)
class Rule:
    id: str
    citation: str
    summary: str


@dataclass(frozen=True)
class PolicyRefusal:
    rule: str
    citation: str
    message: str


@dataclass(frozen=True)
class Validity:
    """How long a signed prescription may be dispensed: `months` calendar months plus `days`."""

    rule: str
    days: int = 0
    months: int = 0


@dataclass(frozen=True)
class TelemedicineException:
    """A named way to prescribe a controlled substance by telemedicine without an in-person evaluation."""

    key: str
    citation: str
    summary: str
    until: date | None = None  # the last day it may be relied on (a temporary rule), None: no end date


@dataclass(frozen=True)
class ProhibitedCategory:
    """One line of an online-sale prohibition list, and how a formulary drug is recognised as on it."""

    id: str
    section: str
    name: str
    title: str
    citation: str
    match: dict | None  # None: declared, but no formulary data can show a drug belongs to it

    def covers(self, drug) -> bool:
        """Is `drug` (a formulary drug: names, ingredients, form, route, ATC code, cn_special_class) in it?"""
        if self.match is None:
            return False
        m, atc = self.match, drug.atc_code
        names = {n.casefold() for n in (drug.generic_name, *drug.synonyms)}
        checks = {
            "cn_special_class": lambda v: drug.cn_special_class in v,
            "atc_prefix": lambda v: atc.startswith(tuple(v)),
            "atc_prefix_except": lambda v: not atc.startswith(tuple(v)),
            "form_contains": lambda v: any(word in drug.form for word in v),
            "ingredients": lambda v: bool(set(v) & set(drug.ingredients)),
            "combination": lambda v: (len(drug.ingredients) > 1) is v,
            "routes": lambda v: drug.route in v,
            "routes_except": lambda v: drug.route not in v,
            "names": lambda v: bool(names & {n.casefold() for n in v}),
        }
        return all(checks[key](value) for key, value in m.items())


@functools.cache
def cn_online_sale_prohibitions() -> tuple[ProhibitedCategory, ...]:
    """药品网络销售禁止清单（第一版）, read from its data file once."""
    data = yaml.safe_load(CN_ONLINE_SALE_FILE.read_text(encoding="utf-8"))
    return tuple(ProhibitedCategory(
        id=c["id"], section=c["section"], name=c["name"], title=c["title"], match=c["match"],
        citation=f"{data['citation']} {c['section']}") for c in data["categories"])


@dataclass(frozen=True)
class Policy:
    name: str
    version: str  # of the rule set: a prescription records the one it was checked under
    title: str
    rules: tuple[Rule, ...]
    online_first_visit: bool
    controlled_drugs_online: bool
    standard_days_supply: int  # beyond it a stated reason is needed (MX warning)
    maximum_days_supply: int  # beyond it never (MX blocking)
    max_refills: dict[str, int | None]  # by "none" (not controlled) or US schedule; None: no limit but validity
    validity: dict[str, Validity]  # by "none" or US schedule
    otp_for_controlled: bool
    online_sale_prohibited: tuple[ProhibitedCategory, ...] = ()
    guardian_under_years: int | None = None  # a younger patient is seen with a guardian present
    # A follow-up is prescribed for only on a structured record of the offline diagnosis, confirmed by the doctor.
    prior_diagnosis_evidence_required: bool = False
    # Ryan Haight: a controlled substance prescribed online needs an in-person evaluation or one of these.
    telemedicine_exceptions: tuple[TelemedicineException, ...] | None = None  # None: the rule does not apply

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    @property
    def ruleset_version(self) -> str:
        """What a prescription records: this rule set's name and version, e.g. "cn/2026.12.2"."""
        return f"{self.name}/{self.version}"


# A rule set's version changes whenever one of its rules, citations or data files does.
CN_RULESET_VERSION = "2026.12.2"
US_RULESET_VERSION = "2026.12.2"

CN = Policy(
    name="cn",
    version=CN_RULESET_VERSION,
    title="People's Republic of China: internet diagnosis and treatment",
    rules=(
        Rule("cn.online-follow-up-only",
             "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十六条",
             "Online visits only to follow up a common or chronic disease already diagnosed at a physical "
             "medical institution; never a first visit (不得对首诊患者开展互联网诊疗活动)."),
        Rule("cn.follow-up-prior-diagnosis-evidence",
             "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十六条",
             "医师应当掌握患者病历资料，确定患者在实体医疗机构明确诊断为某种或某几种常见病、慢性病后，可以针对相同诊断进行复诊: "
             "a follow-up is prescribed for only when the offline diagnosis is on record (institution, date, "
             "document reference) and the doctor has confirmed it."),
        Rule("cn.no-special-management-drugs-online",
             "互联网诊疗管理办法（试行） 第十九条; 药品管理法（2019） 第六十一条",
             "Narcotic, psychotropic and other specially managed drugs may not be prescribed online "
             "(不得在互联网上开具麻醉药品、精神药品等特殊管理药品的处方) nor sold online."),
        Rule("cn.no-refills",
             "处方管理办法（卫生部令第53号） 第十八条、第十九条",
             "A prescription is valid for at most 3 days and covers one supply: there are no refills; a repeat "
             "supply needs a new prescription."),
        Rule("cn.validity-3-days",
             "处方管理办法 第十八条",
             "处方开具当日有效；特殊情况下需延长有效期的，由开具处方的医师注明有效期限，但有效期最长不得超过3天. "
             "rxloop records the 3-day maximum because an online prescription is dispensed and shipped later."),
        Rule("cn.days-supply-7",
             "处方管理办法 第十九条",
             "处方一般不得超过7日用量: beyond 7 days the doctor must state the reason (慢性病、老年病或特殊情况)."),
        Rule("cn.days-supply-max-30",
             "处方管理办法 第十九条; 长期处方管理规范（试行）（国卫办医发〔2021〕17号）",
             "Even with a stated reason rxloop never issues more than 30 days online (a long-term prescription "
             "is 4 weeks as a rule under the 2021 norms)."),
        Rule("cn.pharmacist-review",
             "互联网诊疗管理办法（试行） 第十九条; 处方管理办法 第三十五条",
             "在线开具的处方必须有医师电子签名，经药师审核后 … 配送: every prescription is reviewed by a pharmacist."),
        Rule("cn.child-under-6-guardian",
             "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十九条",
             "为低龄儿童（6岁以下）开具互联网儿童用药处方时，应当确认患儿有监护人和相关专业医师陪伴: a child under 6 "
             "is seen online only with a guardian recorded (name, relationship), whom the doctor confirms present "
             "before prescribing."),
        Rule("cn.online-sale-prohibited",
             "国家药监局关于发布药品网络销售禁止清单（第一版）的公告（2022年第111号）, effective 2022-12-01; "
             "药品管理法（2019） 第六十一条第二款",
             "Drugs on the 药品网络销售禁止清单 (cn_online_sale_prohibited.yaml) are not sold online; a prescription "
             "for one is dispensed at a physical pharmacy."),
    ),
    online_first_visit=False,
    controlled_drugs_online=False,
    standard_days_supply=7,
    maximum_days_supply=30,
    max_refills={"none": 0, "II": 0, "III": 0, "IV": 0, "V": 0},
    validity={key: Validity("cn.validity-3-days", days=3) for key in ("none", "II", "III", "IV", "V")},
    otp_for_controlled=False,
    online_sale_prohibited=cn_online_sale_prohibitions(),
    guardian_under_years=6,
    prior_diagnosis_evidence_required=True,
)

US = Policy(
    name="us",
    version=US_RULESET_VERSION,
    title="United States: federal rules (21 U.S.C., 21 CFR) with rxloop house limits where federal law sets none",
    rules=(
        Rule("us.schedule-ii-no-refills", "21 CFR 1306.12(a)",
             "The refilling of a prescription for a Schedule II controlled substance is prohibited."),
        Rule("us.schedule-iii-iv-refills", "21 CFR 1306.22(a)",
             "Schedule III and IV: no more than 5 refills, and none more than 6 months after issue."),
        Rule("us.schedule-v-refills", "rxloop house policy; federal: 21 CFR 1306.21–1306.23",
             "Federal rules set no number of refills for Schedule V: it is refilled as the prescriber authorizes "
             "(the 5-refill limit of 21 CFR 1306.22(a) is for Schedules III and IV only). rxloop applies that "
             "limit of 5 refills to Schedule V as house policy; state law may set its own."),
        Rule("us.validity-non-controlled", "rxloop house policy",
             "rxloop dispenses a non-controlled prescription for up to 1 year from issue. Federal law sets no "
             "limit; state pharmacy law sets its own, and the dispensing state's governs."),
        Rule("us.validity-schedule-iii-iv", "21 CFR 1306.22(a)",
             "Schedule III and IV: not filled or refilled more than 6 months after the date of issue."),
        Rule("us.validity-schedule-v", "rxloop house policy; federal: 21 CFR 1306.21–1306.23",
             "Federal rules set no time limit for filling a Schedule V prescription (the 6-month limit of "
             "21 CFR 1306.22(a) is for Schedules III and IV only); rxloop applies 6 months as house policy."),
        Rule("us.validity-schedule-ii", "rxloop house policy; federal: 21 CFR 1306.11–1306.12",
             "Federal law sets no date by which a Schedule II prescription must be filled; rxloop allows 30 days "
             "as house policy. State limits differ (some are shorter) and the dispensing state's law governs."),
        Rule("us.days-supply-90", "rxloop house policy",
             "Up to 90 days' supply as a rule (maintenance medicines); beyond it a stated reason is needed."),
        Rule("us.days-supply-max-365", "rxloop house policy",
             "Never more than 365 days' supply on one prescription."),
        Rule("us.epcs-two-factor", "21 CFR 1311.115, 1311.120, 1311.140",
             "Electronic prescriptions for controlled substances are signed with two-factor authentication."),
        Rule("us.ryan-haight-in-person-evaluation", "21 U.S.C. 829(e)(1)–(3); 21 CFR 1306.09(a)",
             "A controlled substance dispensed by means of the Internet needs a valid prescription: one issued "
             "by a practitioner who has conducted at least one in-person medical evaluation of the patient "
             "(829(e)(2)(A)(i)) or by a covering practitioner (829(e)(2)(A)(ii): one evaluating the patient at the "
             "request of a practitioner who evaluated them in person or by telemedicine within the previous 24 "
             "months and is temporarily unavailable, 829(e)(2)(C)), unless it is issued in the practice of "
             "telemedicine as 21 U.S.C. 802(54) defines it (829(e)(3)(A)). Which applies is recorded on the "
             "prescription."),
        Rule("us.pharmacist-review", "21 CFR 1306.04(a); state pharmacy practice acts (prospective drug review)",
             "A pharmacist shares responsibility for every prescription dispensed and reviews it first."),
    ),
    online_first_visit=True,
    controlled_drugs_online=True,
    standard_days_supply=90,
    maximum_days_supply=365,
    max_refills={"none": None, "II": 0, "III": 5, "IV": 5, "V": 5},
    validity={"none": Validity("us.validity-non-controlled", months=12),
              "II": Validity("us.validity-schedule-ii", days=30),
              "III": Validity("us.validity-schedule-iii-iv", months=6),
              "IV": Validity("us.validity-schedule-iii-iv", months=6),
              "V": Validity("us.validity-schedule-v", months=6)},
    otp_for_controlled=True,
    telemedicine_exceptions=(
        TelemedicineException("802(54)(A)", "21 U.S.C. 802(54)(A)",
                              "The patient is being treated by, and is physically located in, a hospital or "
                              "clinic registered with the DEA."),
        TelemedicineException("802(54)(B)", "21 U.S.C. 802(54)(B)",
                              "The patient is being treated by, and is in the physical presence of, a practitioner "
                              "registered with the DEA in the patient's state."),
        TelemedicineException("802(54)(C)", "21 U.S.C. 802(54)(C)",
                              "An Indian Health Service or tribal practitioner designated an Internet Eligible "
                              "Controlled Substances Provider."),
        TelemedicineException("802(54)(D)", "21 U.S.C. 802(54)(D)",
                              "During a public health emergency declared under 42 U.S.C. 247d, for the patients, "
                              "areas and substances the Secretary designates."),
        TelemedicineException("802(54)(E)", "21 U.S.C. 802(54)(E), 831(h)",
                              "The practitioner holds a special registration for telemedicine."),
        TelemedicineException("802(54)(F)", "21 U.S.C. 802(54)(F)",
                              "A medical emergency of a Veterans Health Administration patient, as the paragraph "
                              "defines it."),
        TelemedicineException(
            "802(54)(G)-dea-temporary-flexibilities",
            "21 U.S.C. 802(54)(G); 21 CFR 1307.41 as extended by DEA and HHS, Fourth Temporary Extension of "
            "COVID-19 Telemedicine Flexibilities for Prescription of Controlled Medications (temporary rule, "
            "effective 2026-01-01 through 2026-12-31)",
            "The COVID-19 telemedicine flexibilities: a DEA-registered practitioner may prescribe Schedule II–V "
            "controlled substances by audio-video telemedicine without a prior in-person evaluation, if the "
            "prescription otherwise complies with DEA rules and federal and state law.",
            until=date(2026, 12, 31)),
    ),
)

POLICIES = {policy.name: policy for policy in (CN, US)}


def get_policy(name: str | None = None) -> Policy:
    """The rule set called `name` ("cn" by default); an unknown name is a ValueError."""
    try:
        return POLICIES[name or DEFAULT_POLICY]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}: one of {', '.join(sorted(POLICIES))}") from None


def _refusal(policy: Policy, rule_id: str, message: str) -> PolicyRefusal:
    return PolicyRefusal(rule=rule_id, citation=policy.rule(rule_id).citation, message=message)


def consultation_refusals(policy: Policy, *, is_follow_up: bool, prior_diagnosis) -> list[PolicyRefusal]:
    """Why this visit may not happen online (empty: it may)."""
    if policy.online_first_visit:
        return []
    diagnosed = isinstance(prior_diagnosis, dict) and any(
        str(prior_diagnosis.get(key) or "").strip() for key in ("code", "display"))
    if is_follow_up and diagnosed:
        return []
    return [_refusal(policy, "cn.online-follow-up-only",
                     _("Online consultations are only for follow-up of a condition already diagnosed in person: "
                       "please see a doctor at a hospital or clinic first."))]


def online_sale_refusal(policy: Policy, *, drug) -> PolicyRefusal | None:
    """Why this formulary drug may not be sold online under `policy` (None: it may)."""
    category = next((c for c in policy.online_sale_prohibited if c.covers(drug)), None)
    if category is None:
        return None
    listed_as = (_("by name") if "names" in (category.match or {})
                 else _("as %(name)s (%(title)s)", name=category.name, title=category.title))
    return PolicyRefusal(
        rule="cn.online-sale-prohibited", citation=category.citation,
        message=_("%(drug)s is on China's list of drugs that may not be sold online (%(listed_as)s): "
                  "fill the prescription at a pharmacy in person.", drug=drug_name(drug), listed_as=listed_as))


def drug_name(drug) -> str:
    """The drug's generic name in the client's language (通用名 for Chinese)."""
    return in_language(drug.generic_name, zh=getattr(drug, "generic_name_zh", None))


def guardian_refusal(policy: Policy, *, age_years: int | None, guardian: dict | None,
                     prescribing: bool) -> PolicyRefusal | None:
    """Why this young child may not be seen (or, `prescribing`, prescribed for) without a guardian (None: may).

    A consultation needs the guardian recorded (name and relationship); a prescription also needs the
    doctor's confirmation that the guardian is present (`confirmed_at`). An unknown age is not a child's.
    """
    if policy.guardian_under_years is None or age_years is None or age_years >= policy.guardian_under_years:
        return None
    guardian = guardian or {}
    recorded = all(str(guardian.get(key) or "").strip() for key in ("name", "relationship"))
    if not recorded:
        return _refusal(policy, "cn.child-under-6-guardian",
                        _("A child under %(years)s is seen online only with a guardian: give the "
                          "guardian's name and relationship to the child.", years=policy.guardian_under_years))
    if prescribing and not guardian.get("confirmed_at"):
        return _refusal(policy, "cn.child-under-6-guardian",
                        _("Confirm that the child's guardian is present before prescribing."))
    return None


PRIOR_DIAGNOSIS_EVIDENCE_FIELDS = ("institution", "date", "document_reference")


def prior_diagnosis_evidence_refusal(policy: Policy, *, evidence: dict | None,
                                     prescribing: bool) -> PolicyRefusal | None:
    """Why this follow-up may not be confirmed (or, `prescribing`, prescribed for) on its evidence (None: may).

    The evidence is the patient's record of the offline diagnosis: the institution, the date and the reference
    of the document that shows it; to prescribe, the doctor has also confirmed it (`confirmed_at`).
    """
    if not policy.prior_diagnosis_evidence_required:
        return None
    evidence = evidence or {}
    if not all(str(evidence.get(key) or "").strip() for key in PRIOR_DIAGNOSIS_EVIDENCE_FIELDS):
        return _refusal(policy, "cn.follow-up-prior-diagnosis-evidence",
                        _("A follow-up needs the record of the diagnosis made at a hospital or clinic: give the "
                          "institution, the date and the document's reference."))
    if prescribing and not evidence.get("confirmed_at"):
        return _refusal(policy, "cn.follow-up-prior-diagnosis-evidence",
                        _("Confirm the record of the prior offline diagnosis before prescribing."))
    return None


BASIS_KINDS = ("in_person_evaluation", "telemedicine_exception", "covering_practitioner")
# 21 U.S.C. 829(e)(2)(C)(i): the practitioner covered for evaluated the patient within the previous 24 months.
COVERING_EVALUATION_MONTHS = 24
COVERING_PRACTITIONER_CITATION = "21 U.S.C. 829(e)(2)(A)(ii), 829(e)(2)(C)"


def controlled_substance_refusals(policy: Policy, *, drugs: Sequence, basis: dict | None,
                                  today: date) -> list[PolicyRefusal]:
    """Why these drugs may not be prescribed online on this `basis` (Ryan Haight; empty: they may).

    `basis` is what the prescriber records: `{"kind": "in_person_evaluation", "evaluated_on": date}`,
    `{"kind": "telemedicine_exception", "exception": <a key of policy.telemedicine_exceptions>}`, or
    `{"kind": "covering_practitioner", "covering_for": <the practitioner covered for>, "evaluated_on": date}`
    (the date of that practitioner's own evaluation of the patient, in person or by telemedicine).
    """
    if policy.telemedicine_exceptions is None or not any(d.us_schedule for d in drugs):
        return []
    rule = "us.ryan-haight-in-person-evaluation"
    basis = basis or {}
    if basis.get("kind") == "in_person_evaluation":
        evaluated_on = basis.get("evaluated_on")
        if isinstance(evaluated_on, str):
            evaluated_on = date.fromisoformat(evaluated_on)
        if evaluated_on is not None and evaluated_on <= today:
            return []
        return [_refusal(policy, rule, _("The in-person medical evaluation needs its date, on or before today."))]
    if basis.get("kind") == "covering_practitioner":
        return _covering_practitioner_refusals(basis, today=today)
    if basis.get("kind") == "telemedicine_exception":
        exception = next((e for e in policy.telemedicine_exceptions if e.key == basis.get("exception")), None)
        if exception is None:
            return [_refusal(policy, rule, _("Name the telemedicine exception: one of %(keys)s.",
                                             keys=", ".join(e.key for e in policy.telemedicine_exceptions)))]
        if exception.until is not None and today > exception.until:
            return [PolicyRefusal(rule=rule, citation=exception.citation,
                                  message=_("The telemedicine exception %(key)s ended on %(until)s.",
                                            key=exception.key, until=exception.until))]
        return []
    return [_refusal(policy, rule, _("A controlled substance prescribed online needs an in-person medical "
                                     "evaluation of the patient by the prescriber, or a named telemedicine exception, "
                                     "recorded on the prescription."))]


def _covering_practitioner_refusals(basis: dict, *, today: date) -> list[PolicyRefusal]:
    """The covering practitioner's route: who is covered for, and their evaluation within the last 24 months."""
    def refused(message):
        return [PolicyRefusal(rule="us.ryan-haight-in-person-evaluation", citation=COVERING_PRACTITIONER_CITATION,
                              message=message)]

    if not str(basis.get("covering_for") or "").strip():
        return refused(_("Name the practitioner you are covering for."))
    evaluated_on = basis.get("evaluated_on")
    if isinstance(evaluated_on, str):
        evaluated_on = date.fromisoformat(evaluated_on)
    if evaluated_on is None or not _add_months(today, -COVERING_EVALUATION_MONTHS) <= evaluated_on <= today:
        return refused(_("The practitioner covered for must have evaluated the patient within the previous "
                         "%(months)s months: give the date of that evaluation.", months=COVERING_EVALUATION_MONTHS))
    return []


def _schedule(drug) -> str:
    return drug.us_schedule or "none"


def max_refills(policy: Policy, *, drug) -> int | None:
    """The most refills this drug may carry (None: no limit beyond the prescription's validity)."""
    return policy.max_refills[_schedule(drug)]


def prescription_refusals(policy: Policy, *, drug, item) -> list[PolicyRefusal]:
    """Why this item may not be prescribed online at all (days supply is a safety finding, MX, instead)."""
    refusals = []
    special = drug.rx_class == "controlled" or drug.us_schedule or drug.cn_special_class
    if special and not policy.controlled_drugs_online:
        refusals.append(_refusal(policy, "cn.no-special-management-drugs-online",
                                 _("%(drug)s is a specially managed (narcotic or psychotropic) drug "
                                   "and cannot be prescribed online.", drug=drug_name(drug))))
    refills = item.refills or 0
    limit = max_refills(policy, drug=drug)
    if limit is not None and refills > limit:
        if policy.name == "cn":
            rule, message = "cn.no-refills", _("Refills cannot be prescribed: each supply needs a new prescription.")
        elif drug.us_schedule == "II":
            rule, message = "us.schedule-ii-no-refills", _("%(drug)s is Schedule II: no refills.", drug=drug_name(drug))
        elif drug.us_schedule == "V":
            rule, message = "us.schedule-v-refills", _("%(drug)s is Schedule V: at most %(limit)s refills.",
                                                       drug=drug_name(drug), limit=limit)
        else:
            rule, message = ("us.schedule-iii-iv-refills",
                             _("%(drug)s is Schedule %(schedule)s: at most %(limit)s refills.",
                               drug=drug_name(drug), schedule=drug.us_schedule, limit=limit))
        refusals.append(_refusal(policy, rule, message))
    return refusals


def _add_months(moment: date, months: int) -> date:
    """`moment` (a date or datetime) `months` calendar months later (earlier if negative), at most the month's end."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def valid_until(policy: Policy, *, drugs: Sequence, signed_at: datetime) -> datetime:
    """When the prescription stops being dispensable: the earliest limit among its drugs wins."""
    limits = [policy.validity[_schedule(d)] for d in drugs] or [policy.validity["none"]]
    return min(_add_months(signed_at, v.months) + timedelta(days=v.days) for v in limits)


def days_supply_rules(policy: Policy) -> tuple[Rule, Rule]:
    """The (standard, absolute maximum) days-supply rules, for the MX safety finding."""
    standard, maximum = (r for r in policy.rules if ".days-supply-" in r.id)
    return standard, maximum


def requires_otp(policy: Policy, *, drugs: Sequence) -> bool:
    """A second factor to sign: in the us for any controlled drug (EPCS); cn never prescribes them online."""
    return policy.otp_for_controlled and any(d.rx_class == "controlled" or d.us_schedule for d in drugs)
