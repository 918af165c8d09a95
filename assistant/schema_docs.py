"""What each field of the assistant's schemas means, for the OpenAPI document (core.openapi.describe).

Kept beside the schemas rather than inside them so the field declarations stay one line each;
tests/core/test_openapi_contract.py fails on any field of the document left without a description.
"""

from assistant.schemas import (
    ClaimSchema, DecisionSchema, DraftFromSuggestionSchema, DroppedSchema, KeptSchema, ReportRowSchema, ReportSchema,
    SuggestedItemOutSchema, SuggestionRequestSchema, SuggestionSchema,
)
from core.openapi import describe

SUGGESTION_ID = "sug-5f2b8c0e9d4a4c1b8e6f7a3d"
CONSULTATION_ID = "01JF3ZD4E5F6G7H8J9K0M1N2P3"
DOCTOR_ID = "01JF3ZB2C3D4E5F6G7H8J9K0M1"
PRESCRIPTION_ID = "01JF3ZE5F6G7H8J9K0M1N2P3Q4"
CLAIM = {"text": "Sore throat for three days, no red flags recorded.", "cites": ["record:consultation.chief_complaint"]}

describe(SuggestionRequestSchema,
         kind=("What to ask for.", "consultation_summary"),
         subject_id=("The consultation's or prescription's id.", CONSULTATION_ID))
describe(ClaimSchema,
         text=("One statement of the assistant (at most 500 characters): the gate keeps it only when it cites "
               "sources true of this consultation or prescription and gives no order.", CLAIM["text"]),
         cites=("The sources it rests on: rule:<id>, formulary:<drug id> or record:<field>.", CLAIM["cites"]))
describe(SuggestedItemOutSchema,
         reasons=("Why the assistant suggests this item: cited claims, as in `claims`; an item with none is dropped.",
                  [{"text": "Paracetamol is in the formulary for fever and pain.",
                    "cites": ["formulary:paracetamol-500mg-tab"]}]),
         findings=("What the safety checks found about this item against the patient's record (warnings only: an "
                   "item with a blocking or over-limit finding is dropped).", []))
describe(KeptSchema,
         claims=("The statements that passed the gate, each citing its sources.", [CLAIM]),
         items=("For `draft_prescription`: the suggested prescription items that passed the gate (in the formulary, "
                "not controlled, reasoned, and screened by the safety checks); empty for other kinds.", []),
         diagnosis=("For `draft_prescription`: the suggested diagnosis (ICD-10), or null.", None))
describe(DroppedSchema,
         what=("What was dropped: `claim`, `reason` (an item's claim), `item`, `diagnosis` or `field`.", "claim"),
         reason=("Why: `uncited`, `unknown-source`, `instruction`, `malformed`, `too-many`, `not-in-formulary`, "
                 "`controlled-substance`, `unreasoned`, `over-limit-or-blocked`, `unsupported-field` or "
                 "`not-for-this-kind`.", "uncited"),
         detail=("What was dropped, or the fact that decided it (at most 300 characters).",
                 "The patient should take amoxicillin."))
describe(SuggestionSchema,
         id=("The suggestion's id.", SUGGESTION_ID),
         kind=("`consultation_summary`, `draft_prescription`, `review_note` or `refusal_explanation`.",
               "consultation_summary"),
         provider=("The provider that answered: `rules` (rxloop's own, deterministic) or `openai` (an "
                   "OpenAI-compatible endpoint).", "rules"),
         model=("The model the provider named.", "rxloop-rules"),
         model_version=("The model's version (for `openai`, the endpoint's system fingerprint, or `unknown`).",
                        "2026.12.1"),
         prompt_hash=("The sha256, in hex, of the exact prompt the provider was given (instructions and context).",
                      "9f2c1b7e4d3a5f6e8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a"),
         subject_type=("What it is about: `consultation` or `prescription`.", "consultation"),
         subject_id=("The consultation's or prescription's id.", CONSULTATION_ID),
         dropped_count=("How many things the gate dropped (the length of `dropped`).", 0),
         created_at="When the suggestion was made (UTC).",
         outcome=("What the human did with it: `accepted`, `edited` or `rejected`; null until decided.", None),
         outcome_by=("Who decided it, or null.", None),
         outcome_at=("When it was decided (UTC), or null.", None),
         outcome_diff=("What the human changed: for a draft, `{path, suggested, written}` per changed field of the "
                       "items or the diagnosis; for edited text, `{path: \"text\", line}` per added (`+`) or removed "
                       "(`-`) line; empty for a draft taken as suggested; null for a rejection or a text accepted as it was.",
                       None),
         prescription_id=("The prescription drafted from it, or null.", None))
describe(DraftFromSuggestionSchema,
         items=("The items as you write them; left out, the suggested items as they are.", None),
         diagnosis=("The diagnosis as you write it; left out, the suggested one.", None))
describe(DecisionSchema,
         outcome=("`accepted`, `edited` (send `text`) or `rejected`; a `draft_prescription` suggestion is only "
                  "rejected here (accept or edit it by drafting from it).", "accepted"),
         note=("Why, in a few words (at most 1000 characters): kept with the decision.", "Matches my assessment."))
describe(ReportRowSchema,
         provider=("The provider.", "rules"),
         kind=("The kind of suggestion.", "consultation_summary"),
         suggestions=("How many suggestions were made.", 40),
         dropped_items=("Drafted items the gate dropped.", 1),
         dropped_other=("Other drops: diagnoses and unsupported or out-of-place fields.", 0),
         accepted=("Suggestions accepted as they were.", 30),
         edited=("Suggestions edited before use.", 6),
         rejected=("Suggestions rejected.", 2),
         undecided=("Suggestions not decided yet.", 2))
describe(ReportSchema, rows="One row per provider and kind, ordered by provider then kind.")
