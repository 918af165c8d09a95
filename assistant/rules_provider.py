"""rxloop's own assistant: deterministic, no network, every claim built from the context's record,
the formulary or a rule that fired. It never guesses: where the rules cannot say (a child's dose,
a weekly drug, a controlled drug), it leaves the drug to the doctor and says so."""

import math
from decimal import Decimal

from consult.formulary import get_formulary, plain
from consult.policy import days_supply_rules, get_policy
from consult.safety_facts import ADULT_YEARS
from core.i18n import _

from assistant.prompts import RawSuggestion, prompt_hash, prompt_of

VERSION = "2026.12.1"
ACUTE_DAYS = 7  # a first supply; the doctor lengthens it where the condition needs more
MAX_UNITS_PER_DOSE = 1
MAX_TIMES_A_DAY = 3


def _claim(text: str, *cites: str) -> dict:
    return {"text": text, "cites": list(cites)}


def _summary(context: dict) -> dict:
    record, patient = context["consultation"], context["patient"]
    claims = [_claim(_("Chief complaint: %(text)s", text=record["chief_complaint"]),
                     "record:consultation.chief_complaint")]
    if record["symptoms"]:
        claims.append(_claim(_("Symptoms: %(symptoms)s", symptoms=", ".join(record["symptoms"])),
                             "record:consultation.symptoms"))
    if record["prior_diagnosis"]:
        prior = record["prior_diagnosis"]
        claims.append(_claim(_("Follow-up of %(display)s (%(code)s), diagnosed offline", display=prior.get("display"),
                               code=prior.get("code")), "record:consultation.prior_diagnosis"))
    claims += [_claim(_("Red flag: %(message)s", message=flag["message"]), f"rule:{flag['rule']}")
               for flag in record["red_flags"]]
    if patient["age_years"] is not None:
        claims.append(_claim(_("Age %(years)s", years=patient["age_years"]), "record:patient.age_years"))
    allergies = (_("Allergies recorded: %(allergies)s", allergies=", ".join(patient["allergies"]))
                 if patient["allergies"] else _("No allergy recorded"))
    claims.append(_claim(allergies, "record:patient.allergies"))
    claims += [_claim(_("Condition: %(display)s (%(code)s)", display=c["display"], code=c["code"]),
                      "record:patient.conditions") for c in patient["conditions"]]
    formulary = get_formulary()
    for drug_id in patient["medication_profile"]:
        drug = formulary.drugs.get(drug_id)
        if drug:
            claims.append(_claim(_("Current medicine: %(drug)s %(strength)s", drug=drug.generic_name,
                                   strength=drug.strength), f"formulary:{drug_id}",
                                 "record:patient.medication_profile"))
        else:
            claims.append(_claim(_("Current medicine (reported, not in the formulary): %(name)s", name=drug_id),
                                 "record:patient.medication_profile"))
    if record["messages"]:
        claims.append(_claim(_("%(count)s message(s) from the patient to read", count=len(record["messages"])),
                             "record:consultation.messages"))
    return {"claims": claims}


def _item(drug, policy_name: str) -> dict | None:
    """One unit a time, up to three times a day within the adult maximum, for a first week."""
    limit = drug.max_daily_dose_adult
    unit_mg = drug.strength_amount
    if limit is None or limit.per_kg or limit.period != "day" or drug.us_schedule or drug.cn_special_class \
            or drug.strength_unit != "mg" or drug.route != "oral":
        return None
    times = min(MAX_TIMES_A_DAY, math.floor(limit.mg_per_day() / (unit_mg * MAX_UNITS_PER_DOSE)))
    if times < 1:
        return None
    standard = days_supply_rules(get_policy(policy_name))[0]
    days = min(ACUTE_DAYS, int(standard.id.rsplit("-", 1)[1]))
    reasons = [
        _claim(_("%(drug)s %(strength)s was asked for by the patient", drug=drug.generic_name, strength=drug.strength),
               "record:consultation.requested_drugs", f"formulary:{drug.id}"),
        _claim(_("%(dose)s mg %(times)s times a day is %(daily)s mg a day, within the adult maximum of %(limit)s "
                 "(%(source)s)", dose=plain(unit_mg), times=times, daily=plain(unit_mg * times), limit=str(limit),
                 source=dict(drug.sources).get("dose", "formulary")), f"formulary:{drug.id}"),
        _claim(_("%(days)s days: a first supply within the standard limit", days=days), f"rule:{standard.id}"),
    ]
    return {"drug_id": drug.id, "dose": float(unit_mg), "dose_unit": "mg", "frequency_per_day": times,
            "route": drug.route, "days_supply": days, "quantity": times * days, "refills": 0, "reasons": reasons}


def _draft(context: dict) -> dict:
    record, patient = context["consultation"], context["patient"]
    formulary = get_formulary()
    claims, items = [], []
    if patient["age_years"] is None or patient["age_years"] < ADULT_YEARS:
        claims.append(_claim(_("A child's dose is written by the doctor: the assistant drafts for adults only"),
                             "record:patient.age_years"))
    else:
        for drug_id in record["requested_drugs"]:
            drug = formulary.drugs.get(drug_id)
            item = _item(drug, context["policy"]) if drug else None
            if item:
                items.append(item)
            else:
                claims.append(_claim(_("%(drug)s: no standard adult dose to suggest; write it yourself", drug=drug_id),
                                     "record:consultation.requested_drugs"))
    draft = {"claims": claims, "items": items}
    if record["prior_diagnosis"]:
        draft["diagnosis"] = record["prior_diagnosis"]
        claims.append(_claim(_("Diagnosis as recorded offline for this follow-up"),
                             "record:consultation.prior_diagnosis"))
    return draft


def _findings(context: dict) -> list[dict]:
    return [_claim(f"{f['code']} ({f['severity']}): {f['message']}", f"rule:{f['rule']}")
            for f in context["prescription"]["findings"]]


def _review_note(context: dict) -> dict:
    record = context["prescription"]
    claims = _findings(context) or [_claim(_("No safety finding on the patient's record and medication profile"),
                                           "record:prescription.items")]
    if record["override_reason"]:
        claims.append(_claim(_("The doctor overrode the warnings: %(reason)s", reason=record["override_reason"]),
                             "record:prescription.override_reason"))
    return {"claims": claims}


def _refusal(context: dict) -> dict:
    record = context["prescription"]
    claims = []
    if record["reject_reason_code"]:
        claims.append(_claim(_("The pharmacist did not approve it (reason: %(code)s)",
                               code=record["reject_reason_code"]),
                             "record:prescription.reject_reason_code"))
    claims += [_claim(_("Why: %(message)s", message=f["message"]), f"rule:{f['rule']}")
               for f in record["findings"] if f["severity"] == "blocking"]
    claims.append(_claim(_("Talk to your doctor about an alternative; do not take a medicine you were refused"),
                         "record:prescription.status"))
    return {"claims": claims}


BY_KIND = {"consultation_summary": _summary, "draft_prescription": _draft, "review_note": _review_note,
           "refusal_explanation": _refusal}


class RulesProvider:
    name = "rules"

    def suggest(self, kind: str, context: dict) -> RawSuggestion:
        return RawSuggestion(provider=self.name, model="rxloop-rules", model_version=VERSION,
                             prompt_hash=prompt_hash(prompt_of(kind, context)), output=BY_KIND[kind](context))
