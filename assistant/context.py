"""What an assistant may see for each kind of suggestion, and which sources it may cite.

The context is the minimum the task needs: the patient's age (never a name, birth date, phone or
address), the clinical facts the safety checks read, and the record the suggestion is about.
`sources` lists every `rule:` and `record:` citation that is true of this context; `formulary:`
citations are resolved against the formulary itself (assistant.gate).
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from consult import consultations, packs, prescriptions
from consult.formulary import get_formulary
from consult.models import Consultation, Patient, Prescription
from consult.policy import get_policy
from consult.profile import active_medication_profile
from consult.safety_facts import age_in_months
from consult.screening import items_of
from core.db import utcnow
from core.errors import Forbidden, InvalidTransition
from core.i18n import _
from core.identity.models import User


@dataclass(frozen=True)
class Subject:
    type: str  # consultation | prescription
    id: str
    patient_id: str
    policy: str


def _patient(session: Session, patient: Patient) -> tuple[dict, list[str]]:
    today = utcnow().date()
    months = age_in_months(patient.birth_date, today)
    profile = active_medication_profile(session=session, patient_id=patient.id, today=today)
    facts = {
        "age_years": None if months is None else months // 12, "sex": patient.sex, "pregnant": patient.pregnant,
        "weight_kg": patient.weight_kg, "egfr": patient.egfr,
        "allergies": [a["substance"] for a in patient.allergies],
        "conditions": [{"code": c["code"], "display": c["display"]} for c in patient.conditions],
        "medication_profile": sorted({i.drug_id for i in profile.items} | set(profile.reported)),
    }
    return facts, [f"record:patient.{field}" for field, value in facts.items() if value is not None]


def _policy_sources(policy_name: str) -> list[str]:
    return [f"rule:{rule.id}" for rule in get_policy(policy_name).rules]


def _consultation(session: Session, user: User, consultation_id: str, *, drafting: bool) -> tuple[Subject, dict]:
    consultation = consultations.get(session=session, user=user, consultation_id=consultation_id)
    if consultation.doctor_id != user.id:
        raise Forbidden(_("Only the consultation's own doctor asks the assistant about it."))
    if drafting and consultation.status != "in_progress":
        raise InvalidTransition(_("Draft a prescription only during a consultation in progress."),
                                current_status=consultation.status)
    patient = session.get(Patient, consultation.patient_id)
    facts, sources = _patient(session, patient)
    # The consultation names each requested product's drug; one from before it did is looked up (consult.packs).
    requested = sorted({product["drug_id"] for product in consultation.requested_products}
                       or {pack.drug_id for pack in (packs.find(session=session, product_id=p)
                                                     for p in consultation.requested_product_ids) if pack})
    messages = [m.body for m in consultations.messages(session=session, user=user, consultation_id=consultation.id,
                                                       limit=50, cursor=None).items
                if m.author_id != user.id]
    record = {"chief_complaint": consultation.chief_complaint, "symptoms": list(consultation.symptoms),
              "prior_diagnosis": consultation.prior_diagnosis, "requested_drugs": requested,
              "red_flags": [{"rule": r.get("rule") or r.get("code"), "message": r.get("message")}
                            for r in consultation.triage_reasons],
              "messages": messages}
    sources += [f"record:consultation.{field}" for field, value in record.items() if value not in (None, [])]
    sources += [f"rule:{flag['rule']}" for flag in record["red_flags"]] + _policy_sources(consultation.policy)
    context = {"policy": consultation.policy, "patient": facts, "consultation": record}
    if drafting:
        formulary = get_formulary()
        context["formulary"] = [{"id": d.id, "generic_name": d.generic_name, "strength": d.strength}
                                for d in formulary.drugs.values()]
    context["sources"] = sorted(set(sources))
    return Subject("consultation", consultation.id, patient.id, consultation.policy), context


def _prescription(session: Session, user: User, prescription_id: str, *, kind: str) -> tuple[Subject, dict]:
    prescription: Prescription = prescriptions.get(session=session, user=user, prescription_id=prescription_id)
    if user.role not in ("pharmacist", "doctor") or (user.role == "doctor" and prescription.doctor_id != user.id):
        raise Forbidden(_("Only the prescription's pharmacist or its doctor asks the assistant about it."))
    if kind == "review_note" and prescription.status != "pending_review":
        raise InvalidTransition(_("A review note is for a prescription awaiting review."),
                                current_status=prescription.status)
    findings = [*prescription.safety.get("blocking", []), *prescription.safety.get("warnings", [])]
    if kind == "refusal_explanation" and prescription.status != "rejected" and not prescription.safety.get("blocking"):
        raise InvalidTransition(_("Only a rejected prescription, or one with blocking findings, has a refusal "
                                  "to explain."),
                                current_status=prescription.status)
    patient = session.get(Patient, prescription.patient_id)
    facts, sources = _patient(session, patient)
    record = {"status": prescription.status, "diagnosis": prescription.diagnosis,
              "items": [{"drug_id": i.drug_id, "dose": str(i.dose), "dose_unit": i.dose_unit,
                         "frequency_per_day": str(i.frequency_per_day), "days_supply": i.days_supply,
                         "quantity": i.quantity} for i in items_of(session=session, prescription=prescription)],
              "findings": [{k: f[k] for k in ("code", "severity", "rule", "source", "message")} for f in findings],
              "override_reason": prescription.override_reason,
              "reject_reason_code": prescription.reject_reason_code}
    sources += [f"record:prescription.{field}" for field, value in record.items() if value not in (None, [])]
    sources += [f"rule:{f['rule']}" for f in findings] + _policy_sources(prescription.policy)
    context = {"policy": prescription.policy, "patient": facts, "prescription": record,
               "sources": sorted(set(sources))}
    return Subject("prescription", prescription.id, patient.id, prescription.policy), context


def build(*, session: Session, user: User, kind: str, subject_id: str) -> tuple[Subject, dict]:
    """The subject a suggestion is about and the context the provider gets (access checked as for a read)."""
    if kind in ("consultation_summary", "draft_prescription"):
        return _consultation(session, user, subject_id, drafting=kind == "draft_prescription")
    return _prescription(session, user, subject_id, kind=kind)
