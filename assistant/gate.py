"""The gate between an assistant and a human: what a provider said, minus everything that cannot be
trusted, with every drop recorded.

Dropped before a human sees it:
- a claim that cites nothing, or cites a source that is not true of this context (a rule that did
  not fire or is not in force, a record field that is empty, a drug not in the formulary);
- a claim that tells someone to do something the assistant may not (skip a review or a check,
  approve, sign, ignore instructions or rules): a suggestion never changes state, and patient text
  that reads as an instruction is neutralised here whichever provider echoed it;
- a drafted item for a drug outside the formulary or inactive, a controlled drug (written only by
  the doctor), or whose dose, with the rest of the draft and the patient's medication profile, the
  safety checks find over a limit (HD) or blocked;
- anything in the output other than claims, items and a diagnosis (`approve: true`, `status`, …).
"""

import re
from decimal import InvalidOperation

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from consult.formulary import get_formulary
from consult.models import Patient, PrescriptionItem
from consult.safety_facts import BLOCKING
from consult.screening import check_safety

from assistant.schemas import SuggestedDiagnosisSchema, SuggestedItemSchema

MAX_CLAIMS = 50
MAX_CLAIM_CHARS = 500
ALLOWED_FIELDS = {"claims", "items", "diagnosis"}
# Phrases that make a claim an order: to skip or defeat a safeguard, or to decide for the human.
INSTRUCTION = re.compile(
    r"\b(skip|bypass|disregard|circumvent|disable|switch off|turn off)\b.{0,40}"
    r"\b(review|reviews|check|checks|rule|rules|safety|pharmacist|verification|limit|limits)\b"
    r"|\bignore\b.{0,30}\b(previous|prior|above|all|any|system|instructions?|rules?|review|safety|checks?)\b"
    r"|\bauto-?(approve|sign)"
    r"|\b(approve|sign|dispense)\b.{0,20}\b(automatically|immediately|without)\b"
    r"|\bno need (for|to)\b.{0,20}\b(review|check|sign|pharmacist|prescription)"
    r"|\boverride\b.{0,20}\b(safety|checks?|rules?|limits?|warnings?|review)\b"
    r"|系统提示|忽略.{0,10}(指令|规则|审核|提示)|跳过.{0,10}(审核|检查|药师)|无需.{0,6}(审核|药师)|自动.{0,4}(批准|通过|签)",
    re.IGNORECASE)


def _drop(dropped: list, what: str, reason: str, detail) -> None:
    dropped.append({"what": what, "reason": reason, "detail": str(detail)[:300]})


def _cite_ok(cite, sources: set[str], formulary) -> bool:
    if not isinstance(cite, str):
        return False
    if cite.startswith("formulary:"):
        drug = formulary.drugs.get(cite.removeprefix("formulary:"))
        return drug is not None
    return cite in sources


def claims(raw, *, sources: set[str], dropped: list, what: str = "claim") -> list[dict]:
    """The claims that cite only true sources and give no orders."""
    formulary = get_formulary()
    kept = []
    for claim in (raw if isinstance(raw, list) else [raw])[:MAX_CLAIMS]:
        if not isinstance(claim, dict) or not isinstance(claim.get("text"), str) or not claim["text"].strip():
            _drop(dropped, what, "malformed", claim)
            continue
        text, cites = claim["text"].strip()[:MAX_CLAIM_CHARS], claim.get("cites")
        if INSTRUCTION.search(text):
            _drop(dropped, what, "instruction", text)
        elif not isinstance(cites, list) or not cites:
            _drop(dropped, what, "uncited", text)
        elif not all(_cite_ok(c, sources, formulary) for c in cites):
            _drop(dropped, what, "unknown-source", {"text": text, "cites": cites})
        else:
            kept.append({"text": text, "cites": list(dict.fromkeys(cites))})
    if isinstance(raw, list) and len(raw) > MAX_CLAIMS:
        _drop(dropped, what, "too-many", len(raw) - MAX_CLAIMS)
    return kept


def _item(raw, *, sources, dropped, formulary) -> dict | None:
    if not isinstance(raw, dict):
        _drop(dropped, "item", "malformed", raw)
        return None
    drug = formulary.drugs.get(raw.get("drug_id")) if isinstance(raw.get("drug_id"), str) else None
    if drug is None:
        _drop(dropped, "item", "not-in-formulary", raw.get("drug_id"))
        return None
    if drug.us_schedule or drug.cn_special_class or drug.rx_class == "controlled":
        _drop(dropped, "item", "controlled-substance", drug.id)
        return None
    fields = {k: v for k, v in raw.items() if k != "reasons"}
    try:
        item = SuggestedItemSchema().load(fields)
    except (ValidationError, InvalidOperation, TypeError) as error:
        _drop(dropped, "item", "malformed", {"drug_id": drug.id, "errors": getattr(error, "messages", str(error))})
        return None
    reasons = claims(raw.get("reasons") or [], sources=sources, dropped=dropped, what="reason")
    if not reasons:
        _drop(dropped, "item", "unreasoned", drug.id)
        return None
    return {**item, "reasons": reasons}


def _screened(session: Session, *, patient_id: str, policy: str, items: list[dict], dropped: list) -> list[dict]:
    """Items whose doses the safety checks pass: no blocking finding and no dose over a limit."""
    kept = list(items)
    while kept:
        # Unsaved prescription items, as consult's own create_draft screens a draft's (never added to the session).
        rows = [PrescriptionItem(**{k: v for k, v in i.items() if k != "reasons"}) for i in kept]
        safety = check_safety(session=session, patient=session.get(Patient, patient_id), items=rows,
                              policy_name=policy)
        findings = [*safety["blocking"], *safety["warnings"]]
        bad = {drug for f in findings if f["severity"] == BLOCKING or f["code"] in ("HD", "EX") for drug in f["drugs"]}
        over = [i for i in kept if i["drug_id"] in bad]
        if not over:
            for i in kept:
                i["findings"] = [f for f in findings if i["drug_id"] in f["drugs"]]
            return kept
        for i in over:
            _drop(dropped, "item", "over-limit-or-blocked",
                  {"drug_id": i["drug_id"],
                   "findings": sorted({f"{f['code']}:{f['rule']}" for f in findings if i["drug_id"] in f["drugs"]})})
        kept = [i for i in kept if i not in over]
    return kept


def gate(session: Session, *, kind: str, output: dict, sources: list[str], patient_id: str,
         policy: str) -> tuple[dict, list[dict]]:
    """(what the human is shown, what was dropped and why)."""
    dropped: list[dict] = []
    for field in sorted(set(output) - ALLOWED_FIELDS):
        _drop(dropped, "field", "unsupported-field", field)
    known = set(sources)
    kept: dict = {"claims": claims(output.get("claims") or [], sources=known, dropped=dropped), "items": [],
                  "diagnosis": None}
    if kind == "draft_prescription":
        formulary = get_formulary()
        raw_items = output.get("items") if isinstance(output.get("items"), list) else []
        items = [i for i in (_item(r, sources=known, dropped=dropped, formulary=formulary) for r in raw_items) if i]
        kept["items"] = _screened(session, patient_id=patient_id, policy=policy, items=items, dropped=dropped)
        try:
            diagnosis = output.get("diagnosis")
            kept["diagnosis"] = SuggestedDiagnosisSchema().load(diagnosis) if diagnosis else None
        except (ValidationError, TypeError) as error:
            _drop(dropped, "diagnosis", "malformed", getattr(error, "messages", error))
            kept["diagnosis"] = None
    else:
        for field in ("items", "diagnosis"):
            if output.get(field):
                _drop(dropped, field, "not-for-this-kind", kind)
    return kept, dropped
