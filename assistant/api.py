"""HTTP endpoints of the assistant: thin handlers over assistant.suggestions."""

from flask import g
from flask_smorest import Blueprint

from assistant import fhir, suggestions
from assistant.schemas import (
    DraftFromSuggestionSchema, DecisionSchema, ReportSchema, SuggestionRequestSchema, SuggestionSchema,
)
from consult.schemas import FhirResourceSchema, PrescriptionSchema
from consult.presentation import describe_prescriptions
from core.db import current_session
from core.fhir_http import fhir_json
from core.identity.access import requires

blp = Blueprint("assistant", __name__, url_prefix="/api/v1/assistant",
                description="Assistant suggestions: recorded, gated, and decided by a human")


@blp.route("/suggestions", methods=["POST"])
@requires("doctor", "pharmacist")
@blp.arguments(SuggestionRequestSchema)
@blp.response(201, SuggestionSchema)
def make_suggestion(body):
    """Ask the configured assistant about a consultation or prescription.

    Only what passes the gate is in `suggestion`; `dropped` says what was removed and why.
    Nothing changes state: drafting, signing and reviewing stay with the human."""
    return suggestions.suggest(session=current_session(), user=g.user, **body)


@blp.route("/suggestions/<suggestion_id>", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@blp.response(200, SuggestionSchema)
def get_suggestion(suggestion_id):
    return suggestions.get(session=current_session(), user=g.user, suggestion_id=suggestion_id)


@blp.route("/suggestions/<suggestion_id>/draft", methods=["POST"])
@requires("doctor")
@blp.arguments(DraftFromSuggestionSchema)
@blp.response(201, PrescriptionSchema)
def draft_from_suggestion(body, suggestion_id):
    """Draft a prescription from a suggestion: as suggested, or with your own items and diagnosis.

    The draft is yours, screened again, and becomes a prescription only when you sign it."""
    session = current_session()
    _, prescription = suggestions.draft_from(session=session, doctor=g.user, suggestion_id=suggestion_id, **body)
    return describe_prescriptions(session=session, prescriptions=[prescription])[0]


@blp.route("/suggestions/<suggestion_id>/outcome", methods=["POST"])
@requires("doctor", "pharmacist")
@blp.arguments(DecisionSchema)
@blp.response(200, SuggestionSchema)
def decide_suggestion(body, suggestion_id):
    """Record what you did with a summary, note or explanation: accepted, edited (with your text) or rejected."""
    return suggestions.decide(session=current_session(), user=g.user, suggestion_id=suggestion_id, **body)


@blp.route("/suggestions/<suggestion_id>/provenance", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@blp.response(200, FhirResourceSchema, content_type="application/fhir+json")
def suggestion_provenance(suggestion_id):
    """FHIR R4 Provenance of the prescription drafted from this suggestion."""
    session = current_session()
    suggestion = suggestions.get(session=session, user=g.user, suggestion_id=suggestion_id)
    return fhir_json(fhir.provenance(session=session, suggestion=suggestion))


@blp.route("/report", methods=["GET"])
@requires("admin")
@blp.response(200, ReportSchema)
def assistant_report():
    """Per provider and kind: suggestions, dropped claims and items, acceptance and edit rates."""
    return {"rows": suggestions.report(session=current_session(), user=g.user)}


blueprints = (blp,)
