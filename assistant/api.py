"""HTTP endpoints of the assistant: thin handlers over assistant.suggestions."""

from flask import g
from flask_smorest import Blueprint

from assistant import fhir, schema_docs, suggestions  # noqa: F401 (schema_docs: the fields' descriptions)
from assistant.schemas import (
    DraftFromSuggestionSchema, DecisionSchema, ReportSchema, SuggestionRequestSchema, SuggestionSchema,
)
from consult.schemas import FhirResourceSchema, PrescriptionSchema
from consult.presentation import describe_prescriptions
from core.db import current_session
from core.fhir_http import fhir_json
from core.identity.access import requires
from core.openapi import declares
from core.problems import Problem

blp = Blueprint("assistant", __name__, url_prefix="/api/v1/assistant",
                description="Assistant suggestions: recorded, gated, and decided by a human")


@blp.route("/suggestions", methods=["POST"])
@requires("doctor", "pharmacist")
@blp.arguments(SuggestionRequestSchema)
@blp.response(201, SuggestionSchema)
@declares(Problem.NOT_FOUND, Problem.INVALID_TRANSITION)
def make_suggestion(body):
    """Ask the configured assistant about a consultation or prescription.

    Only what passes the gate is in `suggestion`; `dropped` says what was removed and why.
    Nothing changes state: drafting, signing and reviewing stay with the human. A consultation is asked
    about only by its own doctor (a draft only while it is in progress), a prescription by its doctor or a
    pharmacist (a review note only while it awaits review, a refusal explanation only when it was rejected
    or has blocking findings). An unknown subject answers 404 `not-found`, one in the wrong state 409
    `invalid-transition`, and a provider that does not answer 503 `service-unavailable`."""
    return suggestions.suggest(session=current_session(), user=g.user, **body)


@blp.route("/suggestions/<suggestion_id>", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@blp.response(200, SuggestionSchema)
def get_suggestion(suggestion_id):
    """A suggestion, with what the gate kept and dropped and what the human decided.

    Only the human who asked for it, or an admin, reads it (anyone else gets 404 `not-found`); every read,
    refused ones included, is audited."""
    return suggestions.get(session=current_session(), user=g.user, suggestion_id=suggestion_id)


@blp.route("/suggestions/<suggestion_id>/draft", methods=["POST"])
@requires("doctor")
@blp.arguments(DraftFromSuggestionSchema)
@blp.response(201, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION, Problem.POLICY_VIOLATION)
def draft_from_suggestion(body, suggestion_id):
    """Draft a prescription from a suggestion: as suggested, or with your own items and diagnosis.

    The draft is yours, screened again, and becomes a prescription only when you sign it. The suggestion is
    decided by it: `accepted` when drafted as suggested, `edited` (with the diff) otherwise. Only an
    undecided `draft_prescription` suggestion drafts (409 `invalid-transition` otherwise; another doctor's
    suggestion answers 404 `not-found`), under the same rules as
    `POST /api/v1/consultations/{consultation_id}/prescriptions`."""
    session = current_session()
    _, prescription = suggestions.draft_from(session=session, doctor=g.user, suggestion_id=suggestion_id, **body)
    return describe_prescriptions(session=session, prescriptions=[prescription])[0]


@blp.route("/suggestions/<suggestion_id>/outcome", methods=["POST"])
@requires("doctor", "pharmacist")
@blp.arguments(DecisionSchema)
@blp.response(200, SuggestionSchema)
@declares(Problem.INVALID_TRANSITION)
def decide_suggestion(body, suggestion_id):
    """Record what you did with a summary, note or explanation: accepted, edited (with your text) or rejected.

    Only by the human who asked for it, and once: a decided suggestion answers 409 `invalid-transition`.
    `edited` needs `text`, and the changed lines are kept as `outcome_diff`. A `draft_prescription`
    suggestion is only rejected here; it is accepted or edited by drafting from it."""
    return suggestions.decide(session=current_session(), user=g.user, suggestion_id=suggestion_id, **body)


@blp.route("/suggestions/<suggestion_id>/provenance", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@blp.response(200, FhirResourceSchema, content_type="application/fhir+json")
def suggestion_provenance(suggestion_id):
    """FHIR R4 Provenance of the prescription drafted from this suggestion.

    The doctor is the author, the assistant (provider, model and version) only a contributing device, and the
    suggestion the source entity; the targets are the prescription's MedicationRequests. 404 `not-found`
    while the suggestion has not become a prescription."""
    session = current_session()
    suggestion = suggestions.get(session=session, user=g.user, suggestion_id=suggestion_id)
    return fhir_json(fhir.provenance(session=session, suggestion=suggestion))


@blp.route("/report", methods=["GET"])
@requires("admin")
@blp.response(200, ReportSchema)
def assistant_report():
    """Per provider and kind: suggestions, dropped claims and items, acceptance and edit rates.

    Admins only; the read is audited. Rates are of decided suggestions, null while none is decided."""
    return {"rows": suggestions.report(session=current_session(), user=g.user)}


blueprints = (blp,)
