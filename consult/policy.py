"""Jurisdiction rules applied: pure functions that read a rule set (consult.rule_sets) and say why
a visit, a sale or a prescription is refused, how long a prescription is valid and what it needs."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Sequence

from core.i18n import _, in_language
from consult.rule_sets import (
    CN, CN_RULESET_VERSION, DEFAULT_POLICY, POLICIES, US, US_RULESET_VERSION, Policy, PolicyRefusal,
    ProhibitedCategory, Rule, TelemedicineException, Validity, cn_online_sale_prohibitions, get_policy,
)

__all__ = [  # the rule sets, as callers have always imported them from here, and the rules applied
    "BASIS_KINDS", "CN", "CN_RULESET_VERSION", "DEFAULT_POLICY", "POLICIES", "US", "US_RULESET_VERSION", "Policy",
    "PolicyRefusal", "ProhibitedCategory", "Rule", "TelemedicineException", "Validity",
    "cn_online_sale_prohibitions", "consultation_refusals", "controlled_substance_refusals", "days_supply_rules",
    "get_policy", "guardian_refusal", "max_refills", "online_sale_refusal", "prescription_refusals",
    "prior_diagnosis_evidence_refusal", "requires_otp", "valid_until",
]


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


def prescription_consultation_needs(policy: Policy, *, age_years: int | None) -> tuple[str, ...]:
    """The fields a consultation asking for a prescription must carry under `policy`, for a patient of this age:
    without them the visit is referred offline (no prior diagnosis) or the doctor may not prescribe (no record of
    it, no guardian for a young child)."""
    needs = []
    if not policy.online_first_visit:
        needs.append("prior_diagnosis")
    if policy.prior_diagnosis_evidence_required:
        needs.append("prior_diagnosis_evidence")
    if policy.guardian_under_years is not None and age_years is not None and age_years < policy.guardian_under_years:
        needs.append("guardian")
    return tuple(needs)


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
