"""Jurisdiction rule sets (cn, us) as data, every rule with its citation; pure functions read them."""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Sequence

import yaml

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

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


CN = Policy(
    name="cn",
    title="People's Republic of China: internet diagnosis and treatment",
    rules=(
        Rule("cn.online-follow-up-only",
             "互联网诊疗管理办法（试行）（国卫医发〔2018〕25号） 第十六条",
             "Online visits only to follow up a common or chronic disease already diagnosed at a physical "
             "medical institution; never a first visit (不得对首诊患者开展互联网诊疗活动)."),
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
)

US = Policy(
    name="us",
    title="United States: federal rules (21 CFR) with rxloop house limits where states differ",
    rules=(
        Rule("us.schedule-ii-no-refills", "21 CFR 1306.12(a)",
             "The refilling of a prescription for a Schedule II controlled substance is prohibited."),
        Rule("us.schedule-iii-iv-refills", "21 CFR 1306.22(a)",
             "Schedule III and IV: no more than 5 refills, and none more than 6 months after issue."),
        Rule("us.schedule-v-refills", "21 CFR 1306.22(a) applied by rxloop house policy",
             "Schedule V may be refilled as the prescriber authorizes (federal); rxloop applies the "
             "Schedule III–IV limit of 5 refills within 6 months."),
        Rule("us.validity-non-controlled", "rxloop house policy, after typical state pharmacy law",
             "Non-controlled prescriptions are dispensable for 1 year from issue (most states' limit)."),
        Rule("us.validity-schedule-iii-v", "21 CFR 1306.22(a)",
             "Schedule III–V: not filled or refilled more than 6 months after issue."),
        Rule("us.validity-schedule-ii", "rxloop house policy; 21 CFR 1306.12",
             "Federal law sets no expiry for Schedule II; rxloop allows 30 days, the strictest common state limit."),
        Rule("us.days-supply-90", "rxloop house policy",
             "Up to 90 days' supply as a rule (maintenance medicines); beyond it a stated reason is needed."),
        Rule("us.days-supply-max-365", "rxloop house policy",
             "Never more than 365 days' supply on one prescription."),
        Rule("us.epcs-two-factor", "21 CFR 1311.115, 1311.120, 1311.140",
             "Electronic prescriptions for controlled substances are signed with two-factor authentication."),
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
              "III": Validity("us.validity-schedule-iii-v", months=6),
              "IV": Validity("us.validity-schedule-iii-v", months=6),
              "V": Validity("us.validity-schedule-iii-v", months=6)},
    otp_for_controlled=True,
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
                     "Online consultations are only for follow-up of a condition already diagnosed in person: "
                     "please see a doctor at a hospital or clinic first.")]


def online_sale_refusal(policy: Policy, *, drug) -> PolicyRefusal | None:
    """Why this formulary drug may not be sold online under `policy` (None: it may)."""
    category = next((c for c in policy.online_sale_prohibited if c.covers(drug)), None)
    if category is None:
        return None
    listed_as = "by name" if "names" in (category.match or {}) else f"as {category.name} ({category.title})"
    return PolicyRefusal(
        rule="cn.online-sale-prohibited", citation=category.citation,
        message=f"{drug.generic_name} is on China's list of drugs that may not be sold online ({listed_as}): "
                "fill the prescription at a pharmacy in person.")


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
                                 f"{drug.generic_name} is a specially managed (narcotic or psychotropic) drug "
                                 "and cannot be prescribed online."))
    refills = item.refills or 0
    limit = max_refills(policy, drug=drug)
    if limit is not None and refills > limit:
        if policy.name == "cn":
            rule, message = "cn.no-refills", "Refills cannot be prescribed: each supply needs a new prescription."
        elif drug.us_schedule == "II":
            rule, message = "us.schedule-ii-no-refills", f"{drug.generic_name} is Schedule II: no refills."
        elif drug.us_schedule == "V":
            rule, message = "us.schedule-v-refills", f"{drug.generic_name} is Schedule V: at most {limit} refills."
        else:
            rule, message = ("us.schedule-iii-iv-refills",
                             f"{drug.generic_name} is Schedule {drug.us_schedule}: at most {limit} refills.")
        refusals.append(_refusal(policy, rule, message))
    return refusals


def _add_months(moment: datetime, months: int) -> datetime:
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
