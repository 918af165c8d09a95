"""A suggestion as stored: what the provider saw and said, what the gate kept and dropped, and
what the human did with it."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_id, utcnow
from core.encryption.columns import EncryptedJSON, EncryptedText

KINDS = ("consultation_summary", "draft_prescription", "review_note", "refusal_explanation")
OUTCOMES = ("accepted", "edited", "rejected")


class Suggestion(Base):
    __tablename__ = "assistant_suggestions"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('accepted', 'edited', 'rejected')", name="known_outcome"),
        CheckConstraint("(outcome IS NULL) = (outcome_by IS NULL)", name="outcome_has_author"),
        Index("ix_assistant_suggestions_provider_kind", "provider", "kind"),
        Index("ix_assistant_suggestions_prescription_id", "prescription_id"),
        Index("ix_assistant_suggestions_subject", "subject_type", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sug"))
    kind: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(120))
    model_version: Mapped[str] = mapped_column(String(40))
    # sha256 of the exact prompt (the provider's instructions and the inputs, as sent)
    prompt_hash: Mapped[str] = mapped_column(String(64))
    # What the provider saw and said, and what the human changed, hold patient data: encrypted at rest.
    inputs: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    output: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # as the provider returned it, before the gate
    kept: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # what the human is shown
    dropped: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)  # [{what, reason, detail}]
    dropped_count: Mapped[int] = mapped_column(default=0)
    dropped_claims: Mapped[int] = mapped_column(default=0)  # of dropped_count: claims and items' reasons
    dropped_items: Mapped[int] = mapped_column(default=0)  # of dropped_count: drafted items
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    outcome_at: Mapped[datetime | None]
    outcome_diff: Mapped[list[Any] | None] = mapped_column(EncryptedJSON)  # [{path, suggested, written}]
    outcome_note: Mapped[str | None] = mapped_column(EncryptedText)
    prescription_id: Mapped[str | None] = mapped_column(ForeignKey("prescriptions.id"))
