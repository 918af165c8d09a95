"""Asking an assistant, and what the human does with its suggestion: the service functions.

A suggestion is made, gated and stored in one unit of work; a human then accepts it, edits it or
rejects it, once. Drafting from a suggestion is consult's own create_draft with the doctor's own
values: the draft is the doctor's, checked by the same safety rules, and only their signature
(consult.prescriptions.sign, not reachable from here) makes it a prescription.
"""

import difflib

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from assistant import context, providers
from assistant.events import AssistantEvent
from assistant.gate import gate
from assistant.models import Suggestion
from consult import prescriptions
from consult.models import Prescription
from core import audit
from core.db import utcnow
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.i18n import _
from core.identity.models import User

ITEM_FIELDS = ("drug_id", "dose", "dose_unit", "frequency_per_day", "route", "days_supply", "quantity", "refills",
               "instructions")
CLAIM_DROPS = ("claim", "reason")


def suggest(*, session: Session, user: User, kind: str, subject_id: str) -> Suggestion:
    """Ask the configured provider; store what it saw, said, and what the gate kept and dropped."""
    subject, inputs = context.build(session=session, user=user, kind=kind, subject_id=subject_id)
    raw = providers.current().suggest(kind, inputs)
    kept, dropped = gate(session, kind=kind, output=raw.output, sources=inputs["sources"],
                         patient_id=subject.patient_id, policy=subject.policy)
    suggestion = Suggestion(
        kind=kind, provider=raw.provider, model=raw.model, model_version=raw.model_version,
        prompt_hash=raw.prompt_hash, inputs=inputs, output=raw.output, kept=kept, dropped=dropped,
        dropped_count=len(dropped), dropped_claims=sum(d["what"] in CLAIM_DROPS for d in dropped),
        dropped_items=sum(d["what"] == "item" for d in dropped), subject_type=subject.type,
        subject_id=subject.id, patient_id=subject.patient_id, requested_by=user.id)
    session.add(suggestion)
    session.flush()
    audit.record(session=session, actor_id=user.id, action=AssistantEvent.SUGGESTION_MADE,
                 subject_type="assistant_suggestion", subject_id=suggestion.id, patient_id=subject.patient_id,
                 detail={"kind": kind, "provider": raw.provider, "dropped": len(dropped),
                         "reasons": sorted({d["reason"] for d in dropped})})
    return suggestion


def get(*, session: Session, user: User, suggestion_id: str) -> Suggestion:
    """The human who asked for it, or an admin; anyone else is told it does not exist."""
    suggestion = session.get(Suggestion, suggestion_id)
    allowed = suggestion is not None and (suggestion.requested_by == user.id or user.role == "admin")
    if suggestion is not None:
        audit.record_read(session=session, reader=user, action=AssistantEvent.SUGGESTION_READ,
                          subject_type="assistant_suggestion", subject_id=suggestion.id,
                          patient_id=suggestion.patient_id, refused=not allowed)
    if not allowed:
        raise NotFound(_("No such suggestion of yours."))
    return suggestion


def _undecided_of(session: Session, user: User, suggestion_id: str) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.requested_by != user.id:
        raise NotFound(_("No such suggestion of yours."))
    if suggestion.outcome is not None:
        raise InvalidTransition(_("This suggestion was already decided."), current_status=suggestion.outcome)
    return suggestion


def _decide(session: Session, user: User, suggestion: Suggestion, outcome: str, diff: list | None,
            note: str | None, prescription_id: str | None = None) -> Suggestion:
    """Record the human's decision once: a second decision, even a concurrent one, is refused."""
    decided = session.execute(
        update(Suggestion).where(Suggestion.id == suggestion.id, Suggestion.outcome.is_(None))
        .values(outcome=outcome, outcome_by=user.id, outcome_at=utcnow(), outcome_diff=diff, outcome_note=note,
                prescription_id=prescription_id)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        raise InvalidTransition(_("This suggestion was already decided."), current_status="decided")
    session.refresh(suggestion)
    audit.record(session=session, actor_id=user.id, action=AssistantEvent.SUGGESTION_DECIDED,
                 subject_type="assistant_suggestion", subject_id=suggestion.id, patient_id=suggestion.patient_id,
                 detail={"outcome": outcome, "changes": len(diff or []), "prescription_id": prescription_id})
    return suggestion


def _item_diff(suggested: list[dict], written: list[dict]) -> list[dict]:
    diff = []
    for position in range(max(len(suggested), len(written))):
        before = suggested[position] if position < len(suggested) else {}
        after = written[position] if position < len(written) else {}
        for field in ITEM_FIELDS:
            if before.get(field) != after.get(field) and not (before.get(field) is None and field == "instructions"
                                                                 and after.get(field) is None):
                diff.append({"path": f"items.{position}.{field}", "suggested": before.get(field),
                             "written": after.get(field)})
    return diff


def draft_from(*, session: Session, doctor: User, suggestion_id: str, items: list[dict] | None = None,
               diagnosis: dict | None = None) -> tuple[Suggestion, Prescription]:
    """The doctor's draft from a draft_prescription suggestion, as suggested (accepted) or as they wrote it
    (edited, with the diff). It is a draft: unsigned, screened again, and the doctor's alone."""
    suggestion = _undecided_of(session, doctor, suggestion_id)
    if suggestion.kind != "draft_prescription":
        raise InvalidTransition(_("Only a draft_prescription suggestion drafts a prescription."),
                                current_status=suggestion.kind)
    suggested = [{k: v for k, v in i.items() if k in ITEM_FIELDS} for i in suggestion.kept.get("items", [])]
    written = [dict(i) for i in items] if items is not None else suggested
    diagnosis = diagnosis or suggestion.kept.get("diagnosis")
    if not written:
        raise ValidationFailed(_("The suggestion has no item: write the items yourself."),
                               errors={"items": [_("Required: the suggestion has none.")]})
    if not diagnosis:
        raise ValidationFailed(_("The suggestion has no diagnosis: write it yourself."),
                               errors={"diagnosis": [_("Required: the suggestion has none.")]})
    prescription = prescriptions.create_draft(session=session, doctor=doctor, consultation_id=suggestion.subject_id,
                                              items=written, diagnosis=diagnosis)
    diff = _item_diff(suggested, written)
    if diagnosis != suggestion.kept.get("diagnosis"):
        diff.append({"path": "diagnosis", "suggested": suggestion.kept.get("diagnosis"), "written": diagnosis})
    _decide(session, doctor, suggestion, "edited" if diff else "accepted", diff, None, prescription.id)
    return suggestion, prescription


def _as_text(kept: dict) -> str:
    return "\n".join(claim["text"] for claim in kept.get("claims", []))


def decide(*, session: Session, user: User, suggestion_id: str, outcome: str, text: str | None = None,
           note: str | None = None) -> Suggestion:
    """Accept, edit (with the text as written) or reject a summary, note or explanation. A drafted
    prescription is accepted or edited by drafting from it; it may only be rejected here."""
    suggestion = _undecided_of(session, user, suggestion_id)
    if suggestion.kind == "draft_prescription" and outcome != "rejected":
        raise InvalidTransition(_("Draft from the suggestion to accept or edit it."), current_status="undecided",
                                target_status=outcome)
    diff = None
    if outcome == "edited":
        if not (text or "").strip():
            raise ValidationFailed(_("An edit needs the text as you wrote it."),
                                   errors={"text": [_("Required for edited.")]})
        diff = [{"path": "text", "line": line} for line in difflib.unified_diff(
            _as_text(suggestion.kept).splitlines(), text.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return _decide(session, user, suggestion, outcome, diff, note)


def report(*, session: Session, user: User) -> list[dict]:
    """Per provider and kind: suggestions, drops, and what humans did with them."""
    def count(outcome):
        return func.sum(case((Suggestion.outcome == outcome, 1), else_=0))

    rows = session.execute(
        select(Suggestion.provider, Suggestion.kind, func.count(), func.sum(Suggestion.dropped_claims),
               func.sum(Suggestion.dropped_items), func.sum(Suggestion.dropped_count),
               count("accepted"), count("edited"), count("rejected"))
        .group_by(Suggestion.provider, Suggestion.kind).order_by(Suggestion.provider, Suggestion.kind))
    audit.record(session=session, actor_id=user.id, action=AssistantEvent.REPORT_READ,
                 subject_type="assistant_report", subject_id="all", detail={})
    report = []
    for provider, kind, total, claims, items, dropped, accepted, edited, rejected in rows:
        decided = accepted + edited + rejected
        report.append({"provider": provider, "kind": kind, "suggestions": total, "dropped_claims": claims,
                       "dropped_items": items, "dropped_other": dropped - claims - items, "accepted": accepted,
                       "edited": edited, "rejected": rejected, "undecided": total - decided,
                       "acceptance_rate": round(accepted / decided, 4) if decided else None,
                       "edit_rate": round(edited / decided, 4) if decided else None})
    return report
