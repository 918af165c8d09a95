"""Clinical records: patients, consultations, prescriptions and their reviews."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_id, utcnow
from core.encryption.columns import EncryptedDate, EncryptedJSON, EncryptedText


class Patient(Base):
    """A patient's clinical profile; the name and email live on the user account.

    Identifying and clinical facts are encrypted at rest (core/encryption); the numbers the
    safety checks read (weight, eGFR, pregnancy flag) are not, and identify no one alone.
    """

    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pat"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), unique=True)
    # The name in parts, where the patient gave them (FHIR HumanName.family/given); the account's
    # full_name stays the name as written.
    family_name: Mapped[str | None] = mapped_column(EncryptedText)
    given_name: Mapped[str | None] = mapped_column(EncryptedText)
    birth_date: Mapped[date] = mapped_column(EncryptedDate)
    sex: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    pregnant: Mapped[bool | None]
    weight_kg: Mapped[float | None] = mapped_column(Numeric(5, 1, asdecimal=False))
    allergies: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    conditions: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    current_medications: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    # Counted back 280 days from it, the expected delivery date gives the gestational week on any
    # day (a week number typed once would be wrong a week later).
    pregnancy_due_date: Mapped[date | None] = mapped_column(EncryptedDate)
    egfr: Mapped[int | None]  # mL/min/1.73 m², the latest value, measured on egfr_measured_on
    egfr_measured_on: Mapped[date | None]
    ancestry: Mapped[list[Any] | None] = mapped_column(EncryptedJSON)  # consult.safety.ANCESTRIES; None or [] when not recorded
    genotypes: Mapped[list[Any] | None] = mapped_column(EncryptedJSON)  # [{"allele": "HLA-B*15:02", "result": "positive"|"negative"}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Drug(Base):
    """A clinical drug from the formulary data files (synced by `flask formulary-sync`)."""

    __tablename__ = "drugs"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    generic_name: Mapped[str] = mapped_column(String(200), index=True)
    generic_name_zh: Mapped[str | None] = mapped_column(String(200))  # 通用名
    brand_names_zh: Mapped[list[Any]] = mapped_column(default=list)  # 商品名
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    # Written by the sync (core.search_text.key): the names, in Chinese, pinyin and English, and the
    # synonyms apart, which rank below any name.
    search_key: Mapped[str] = mapped_column(Text, default="")
    synonyms_key: Mapped[str] = mapped_column(Text, default="")
    strength: Mapped[str] = mapped_column(String(80))
    form: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(40))
    atc_code: Mapped[str] = mapped_column(String(10), index=True)
    rx_class: Mapped[str] = mapped_column(String(12))
    us_schedule: Mapped[str | None] = mapped_column(String(4))
    cn_special_class: Mapped[str | None] = mapped_column(String(40))
    therapeutic_class: Mapped[str | None] = mapped_column(String(80))
    formulary_version: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (Index("ix_consultations_status_created", "status", "created_at"),
                      Index("ix_consultations_patient_id", "patient_id"),
                      Index("ix_consultations_doctor_id", "doctor_id"),
                      CheckConstraint("closed_at IS NULL OR closed_at >= created_at", name="closed_not_before_created"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cns"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    doctor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(8))
    chief_complaint: Mapped[str] = mapped_column(EncryptedText)
    symptoms: Mapped[list[Any]] = mapped_column(EncryptedJSON, default=list)
    is_follow_up: Mapped[bool]
    prior_diagnosis: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    # The record of that diagnosis made offline: institution, date, document reference, and the doctor's
    # confirmation of it (cn: needed to prescribe for a follow-up).
    prior_diagnosis_evidence: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    # A young child's guardian: name and relationship, and the doctor's confirmation that they are present.
    guardian: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    requested_product_ids: Mapped[list[Any]] = mapped_column(default=list)
    # What the patient asked a prescription for, as the catalogue described it when asked: product, drug, pack
    # size and name (consult.packs), so the doctor drafts from it without looking ids up.
    requested_products: Mapped[list[Any]] = mapped_column(default=list)
    triage_reasons: Mapped[list[Any]] = mapped_column(default=list)
    diagnosis: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class ConsultationMessage(Base):
    __tablename__ = "consultation_messages"
    __table_args__ = (Index("ix_consultation_messages_consultation", "consultation_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prescription(Base):
    __tablename__ = "prescriptions"
    __table_args__ = (Index("ix_prescriptions_status_signed", "status", "signed_at"),
                      Index("ix_prescriptions_patient_id", "patient_id"),
                      Index("ix_prescriptions_doctor_id", "doctor_id"),
                      CheckConstraint("closed_at IS NULL OR closed_at >= created_at", name="closed_not_before_created"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rx"))
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    doctor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(8))
    diagnosis: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    safety: Mapped[dict[str, Any]] = mapped_column(default=dict)
    override_reason: Mapped[str | None] = mapped_column(EncryptedText)
    # The rule set (policy name and version) the prescription was last checked under, at drafting and signing.
    ruleset_version: Mapped[str | None] = mapped_column(String(40))
    # Why a controlled substance may be prescribed online (Ryan Haight): an in-person evaluation or a named
    # telemedicine exception, as the prescriber recorded it.
    controlled_substance_basis: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(EncryptedText)
    reject_reason_code: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]


class PrescriptionItem(Base):
    __tablename__ = "prescription_items"
    __table_args__ = (
        CheckConstraint("quantity_remaining >= 0", name="quantity_remaining_not_negative"),
        CheckConstraint("refills_remaining >= 0", name="refills_remaining_not_negative"),
        # Written in packs of a product: the units are exactly those packs.
        CheckConstraint("packs IS NULL OR (packs > 0 AND pack_size > 0 AND product_id IS NOT NULL "
                        "AND quantity = packs * pack_size)", name="packs_make_the_quantity"),
        Index("ix_prescription_items_prescription_id", "prescription_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rxi"))
    prescription_id: Mapped[str] = mapped_column(ForeignKey("prescriptions.id"))
    position: Mapped[int]
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    dose: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    dose_unit: Mapped[str] = mapped_column(String(16))
    frequency_per_day: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    route: Mapped[str] = mapped_column(String(40))
    days_supply: Mapped[int]
    quantity: Mapped[int]  # units of the drug (tablets, capsules, mL…), however the prescriber wrote it
    # When the prescriber wrote the quantity in packs: of which product, how many, and its pack size then.
    product_id: Mapped[str | None] = mapped_column(String(40))
    packs: Mapped[int | None]
    pack_size: Mapped[int | None]
    refills: Mapped[int] = mapped_column(default=0)
    instructions: Mapped[str | None] = mapped_column(Text)
    # Units still available in the current fill, and fills left after it: both only ever
    # move by conditional UPDATEs, so concurrent purchases cannot overspend them.
    quantity_remaining: Mapped[int]
    refills_remaining: Mapped[int] = mapped_column(default=0)


class PrescriptionUse(Base):
    """Units of a prescription item held by a purchase: reserved, then dispensed or released."""

    __tablename__ = "prescription_uses"
    __table_args__ = (Index("ix_prescription_uses_item_id", "item_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("use"))
    prescription_id: Mapped[str] = mapped_column(ForeignKey("prescriptions.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("prescription_items.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    reference: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class PrescriptionReview(Base):
    """A pharmacist's decision, kept as written: corrections are new reviews."""

    __tablename__ = "prescription_reviews"
    __table_args__ = (Index("ix_prescription_reviews_prescription_id", "prescription_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rev"))
    prescription_id: Mapped[str] = mapped_column(ForeignKey("prescriptions.id"))
    pharmacist_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(12))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    safety: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
