"""Schemas of the assistant API. A suggested item and diagnosis are read by the same schemas as a
doctor's draft (consult.schemas), so the gate holds a suggestion to exactly the API's rules."""

from marshmallow import Schema, fields, validate

from assistant.models import KINDS, OUTCOMES
from consult.schemas import CodedSchema, FindingSchema, PrescriptionItemInSchema
from core.schemas import StrictInteger

SuggestedItemSchema = PrescriptionItemInSchema
SuggestedDiagnosisSchema = CodedSchema


class SuggestionRequestSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "consultation_summary and draft_prescription take a consultation; "
                                                  "review_note and refusal_explanation a prescription."})
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=40),
                               metadata={"description": "The consultation's or prescription's id."})


class ClaimSchema(Schema):
    text = fields.String(required=True)
    cites = fields.List(fields.String(), required=True,
                        metadata={"description": "rule:<id>, formulary:<drug id> or record:<field>"})


class SuggestedItemOutSchema(PrescriptionItemInSchema):
    reasons = fields.List(fields.Nested(ClaimSchema))
    findings = fields.List(fields.Nested(FindingSchema))


class KeptSchema(Schema):
    claims = fields.List(fields.Nested(ClaimSchema), required=True)
    items = fields.List(fields.Nested(SuggestedItemOutSchema))
    diagnosis = fields.Nested(CodedSchema, allow_none=True)


class DroppedSchema(Schema):
    what = fields.String()
    reason = fields.String()
    detail = fields.String()


class SuggestionSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    provider = fields.String(required=True)
    model = fields.String(required=True)
    model_version = fields.String(required=True)
    prompt_hash = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    suggestion = fields.Nested(KeptSchema, attribute="kept", required=True,
                               metadata={"description": "What passed the gate: the only part a human is shown."})
    dropped = fields.List(fields.Nested(DroppedSchema), metadata={"description": "What the gate dropped, and why."})
    dropped_count = StrictInteger()
    created_at = fields.DateTime()
    outcome = fields.String(allow_none=True)
    outcome_by = fields.String(allow_none=True)
    outcome_at = fields.DateTime(allow_none=True)
    outcome_diff = fields.List(fields.Dict(), allow_none=True)
    prescription_id = fields.String(allow_none=True)


class DraftFromSuggestionSchema(Schema):
    """The doctor's draft: the suggested items and diagnosis unless written otherwise."""

    items = fields.List(fields.Nested(PrescriptionItemInSchema), validate=validate.Length(min=1, max=10))
    diagnosis = fields.Nested(CodedSchema)


class DecisionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    text = fields.String(validate=validate.Length(max=5000),
                         metadata={"description": "For `edited`: the text as the human wrote it."})
    note = fields.String(validate=validate.Length(max=1000))


class ReportRowSchema(Schema):
    provider = fields.String()
    kind = fields.String()
    suggestions = StrictInteger()
    dropped_claims = StrictInteger(metadata={"description": "Claims and reasons the gate dropped."})
    dropped_items = StrictInteger()
    dropped_other = StrictInteger()
    accepted = StrictInteger()
    edited = StrictInteger()
    rejected = StrictInteger()
    undecided = StrictInteger()
    acceptance_rate = fields.Float(allow_none=True, metadata={"description": "accepted unchanged / decided"})
    edit_rate = fields.Float(allow_none=True, metadata={"description": "edited / decided"})


class ReportSchema(Schema):
    rows = fields.List(fields.Nested(ReportRowSchema))
