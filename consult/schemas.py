"""Schemas of the clinical API."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from consult.formulary.loading import ALLELE, ANCESTRIES
from consult.policy import BASIS_KINDS
from core.i18n import _, _l
from core.schemas import (
    PageArgsSchema,
    PlannedDumpSchema,
    StrictBoolean,
    StrictFloat,
    StrictInteger,
)

SEXES = ("female", "male", "other", "unknown")


class RegistrationSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=10, max=1024))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    phone = fields.String(validate=validate.Length(max=32))


class AllergySchema(Schema):
    substance = fields.String(required=True, validate=validate.Length(min=1, max=200))
    reaction = fields.String(allow_none=True, validate=validate.Length(max=200))
    severity = fields.String(allow_none=True, validate=validate.OneOf(("mild", "moderate", "severe")))


class ConditionSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    display = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MedicationSchema(Schema):
    drug_id = fields.String(validate=validate.Length(min=1, max=80))
    name = fields.String(validate=validate.Length(min=1, max=200))


class GenotypeSchema(Schema):
    allele = fields.String(required=True, validate=validate.Regexp(ALLELE, error=_l("Write an HLA allele as HLA-B*15:02.")))
    result = fields.String(required=True, validate=validate.OneOf(("positive", "negative")))


class PatientProfileSchema(Schema):
    id = fields.String(dump_only=True)
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    family_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    given_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    birth_date = fields.Date()
    sex = fields.String(validate=validate.OneOf(SEXES))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    pregnant = StrictBoolean(allow_none=True)
    weight_kg = StrictFloat(allow_none=True, validate=validate.Range(min=0.3, max=500))
    allergies = fields.List(fields.Nested(AllergySchema), validate=validate.Length(max=50))
    conditions = fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=50))
    current_medications = fields.List(fields.Nested(MedicationSchema), validate=validate.Length(max=50))
    pregnancy_due_date = fields.Date(allow_none=True)
    egfr = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=200))  # mL/min/1.73 m²
    egfr_measured_on = fields.Date(allow_none=True)
    ancestry = fields.List(fields.String(validate=validate.OneOf(ANCESTRIES)), allow_none=True,
                           validate=validate.Length(max=len(ANCESTRIES)))
    genotypes = fields.List(fields.Nested(GenotypeSchema), allow_none=True, validate=validate.Length(max=20))
    updated_at = fields.DateTime(dump_only=True)


class CodedSchema(Schema):
    """An ICD-10 diagnosis: code and display text."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$",
                                                                 error=_l("Not an ICD-10 code.")))
    display = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DrugSchema(Schema):
    id = fields.String(required=True)
    generic_name = fields.String(required=True)
    generic_name_zh = fields.String(allow_none=True, metadata={"description": "Chinese generic name (通用名)."})
    brand_names_zh = fields.List(fields.String(), metadata={"description": "Chinese brand names (商品名)."})
    synonyms = fields.List(fields.String(), metadata={"description": "Other names the search also finds."})
    strength = fields.String(required=True)
    form = fields.String(required=True)
    route = fields.String(required=True)
    atc_code = fields.String(required=True)
    rx_class = fields.String(required=True)
    us_schedule = fields.String(allow_none=True)
    cn_special_class = fields.String(allow_none=True)


class OnlineSaleSchema(Schema):
    """May the drug be sold online under the policy; if not, the rule, its citation and why."""

    allowed = fields.Boolean(required=True)
    rule = fields.String(allow_none=True)
    citation = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class DrugQuerySchema(PageArgsSchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    rx_class = fields.String(load_default=None, validate=validate.OneOf(("otc", "rx", "controlled")))


class GuardianSchema(Schema):
    """Who accompanies a young child (cn: under 6): recorded by the patient, confirmed by the doctor."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relationship = fields.String(required=True, validate=validate.Length(min=1, max=40))
    confirmed_by = fields.String(dump_only=True)
    confirmed_at = fields.String(dump_only=True)


class PriorDiagnosisEvidenceSchema(Schema):
    """Where and when the diagnosis a follow-up continues was made offline (cn: confirmed by the doctor)."""

    institution = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date = fields.Date(required=True)  # not in the future (checked against today's date in UTC)
    document_reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    confirmed_by = fields.String(dump_only=True)
    confirmed_at = fields.String(dump_only=True)


class PriorDiagnosisEvidenceRecordSchema(PriorDiagnosisEvidenceSchema):
    date = fields.String(required=True)  # as stored: YYYY-MM-DD


class RequestedProductInSchema(Schema):
    """A product the patient asks a prescription for (the ready body of a refused checkout carries them)."""

    product_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    drug_id = fields.String(validate=validate.Length(min=1, max=80),
                            metadata={"description": "the product's drug; checked against the catalogue if given"})
    packs = StrictInteger(validate=validate.Range(min=1, max=1000), metadata={"description": "packs wanted"})


class RequestedProductSchema(Schema):
    """A requested product as the catalogue described it: what the doctor drafts from (`product_id` and `packs`
    go straight into a prescription item)."""

    product_id = fields.String(required=True)
    drug_id = fields.String(required=True)
    name = fields.String(required=True)
    pack_size = StrictInteger(required=True, metadata={"description": "units of the drug in one pack"})
    packs = StrictInteger(allow_none=True, metadata={"description": "packs the patient asked for, if said"})


class ConsultationRequestSchema(Schema):
    chief_complaint = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    symptoms = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                           load_default=list, validate=validate.Length(max=30))
    is_follow_up = StrictBoolean(required=True)
    prior_diagnosis = fields.Nested(CodedSchema, allow_none=True)
    prior_diagnosis_evidence = fields.Nested(PriorDiagnosisEvidenceSchema, allow_none=True)
    guardian = fields.Nested(GuardianSchema, allow_none=True)
    requested_product_ids = fields.List(fields.String(validate=validate.Length(max=40)),
                                        load_default=list, validate=validate.Length(max=20))
    requested_products = fields.List(fields.Nested(RequestedProductInSchema), load_default=list,
                                     validate=validate.Length(max=20))


def _shown(reason: dict) -> dict:
    """Red flags are stored in English (their catalogue ids) and shown in the client's language."""
    message = reason.get("message")
    return {**reason, "message": _(message)} if message else reason


class ConsultationSchema(Schema):
    id = fields.String(required=True)
    patient_id = fields.String(required=True)
    doctor_id = fields.String(allow_none=True)
    status = fields.String(required=True)
    chief_complaint = fields.String(required=True)
    symptoms = fields.List(fields.String())
    is_follow_up = StrictBoolean()
    prior_diagnosis = fields.Nested(CodedSchema, allow_none=True)
    prior_diagnosis_evidence = fields.Nested(PriorDiagnosisEvidenceRecordSchema, allow_none=True)
    guardian = fields.Nested(GuardianSchema, allow_none=True)
    requested_product_ids = fields.List(fields.String())
    requested_products = fields.List(fields.Nested(RequestedProductSchema))
    triage = fields.Function(lambda c: {"reasons": [_shown(r) for r in c.triage_reasons]})
    diagnosis = fields.Nested(CodedSchema, allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class StatusQuerySchema(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.Length(max=20))


class MessageInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class MessageSchema(Schema):
    id = fields.String(required=True)
    author_id = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class CompletionSchema(Schema):
    diagnosis = fields.Nested(CodedSchema, required=True)
    notes = fields.String(validate=validate.Length(max=10000))


class ReasonSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


DOSE_UNITS = ("mg", "g", "mcg", "mL", "tablet", "capsule", "puff", "drop", "patch", "IU", "unit")


class PrescriptionItemInSchema(Schema):
    """An item written in units of the drug (`drug_id`, `quantity`) or in packs of a product (`product_id`, `packs`;
    its drug is the product's)."""

    drug_id = fields.String(validate=validate.Length(min=1, max=80))
    product_id = fields.String(validate=validate.Length(min=1, max=40))
    packs = StrictInteger(validate=validate.Range(min=1, max=1000))
    dose = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100000))
    dose_unit = fields.String(required=True, validate=validate.OneOf(DOSE_UNITS))
    frequency_per_day = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False, max=24))
    route = fields.String(required=True, validate=validate.Length(min=1, max=40))
    days_supply = StrictInteger(required=True, validate=validate.Range(min=1, max=365))
    quantity = StrictInteger(validate=validate.Range(min=1, max=10000))
    refills = StrictInteger(load_default=0, validate=validate.Range(min=0, max=11))
    instructions = fields.String(validate=validate.Length(max=1000))

    @validates_schema
    def _one_unit(self, data, **kwargs):
        if "packs" in data:
            if "quantity" in data:
                raise ValidationError(_("Give the quantity in units or in packs, not both."), "quantity")
            if "product_id" not in data:
                raise ValidationError(_("Packs of which product: give product_id."), "product_id")
        elif "product_id" in data:
            raise ValidationError(_("How many packs of the product: give packs."), "packs")
        else:
            for name in ("drug_id", "quantity"):
                if name not in data:
                    raise ValidationError(_("Missing data for required field."), name)


class ControlledSubstanceBasisSchema(Schema):
    """Ryan Haight (us): the prescriber's in-person evaluation of the patient, or a named telemedicine exception."""

    kind = fields.String(required=True, validate=validate.OneOf(BASIS_KINDS))
    evaluated_on = fields.Date()  # kind in_person_evaluation; covering_practitioner: the covered-for one's
    exception = fields.String(validate=validate.Length(min=1, max=80))  # kind telemedicine_exception
    covering_for = fields.String(validate=validate.Length(min=1, max=200))  # kind covering_practitioner


class PrescriptionDraftSchema(Schema):
    items = fields.List(fields.Nested(PrescriptionItemInSchema), required=True,
                        validate=validate.Length(min=1, max=10))
    diagnosis = fields.Nested(CodedSchema, required=True)
    controlled_substance_basis = fields.Nested(ControlledSubstanceBasisSchema)


class FindingSchema(Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True)
    drugs = fields.List(fields.String())
    message = fields.String()
    rule = fields.String()
    source = fields.String()


class SafetySchema(Schema):
    blocking = fields.List(fields.Nested(FindingSchema), required=True)
    warnings = fields.List(fields.Nested(FindingSchema), required=True)


class PrescriptionItemSchema(Schema):
    id = fields.String(required=True)
    drug_id = fields.String(required=True)
    dose = StrictFloat(metadata={"description": "The amount of one dose in `dose_unit`, a JSON number as "
                                                "written when drafting (no longer a decimal string)."})
    dose_unit = fields.String()
    frequency_per_day = StrictFloat(metadata={"description": "Doses a day, a JSON number as written when "
                                                             "drafting."})
    route = fields.String()
    days_supply = StrictInteger()
    quantity = StrictInteger()
    quantity_units = fields.Function(lambda i: i.quantity, metadata={"type": "integer",
                                                                     "description": "units of the drug"})
    packs = fields.Function(
        lambda i: None if i.packs is None else {"product_id": i.product_id, "count": i.packs, "pack_size": i.pack_size},
        metadata={"type": ["object", "null"], "description": "when written in packs: of which product, how many, "
                                                             "and the units in each"})
    refills = StrictInteger()
    instructions = fields.String(allow_none=True)
    quantity_remaining = StrictInteger()
    refills_remaining = StrictInteger()


class ReviewSchema(Schema):
    decision = fields.String()
    reason_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PrescriptionSchema(PlannedDumpSchema):
    id = fields.String(required=True)
    consultation_id = fields.String()
    patient_id = fields.String()
    doctor_id = fields.String()
    status = fields.String(required=True)
    diagnosis = fields.Nested(CodedSchema)
    safety = fields.Nested(SafetySchema)
    override_reason = fields.String(allow_none=True)
    ruleset_version = fields.String(allow_none=True)
    controlled_substance_basis = fields.Dict(allow_none=True)
    items = fields.List(fields.Nested(PrescriptionItemSchema))
    created_at = fields.DateTime()
    signed_at = fields.DateTime(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    refills_remaining = StrictInteger()
    claimed_by = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    reject_reason_code = fields.String(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    reviews = fields.List(fields.Nested(ReviewSchema))


class SignSchema(Schema):
    otp = fields.String(validate=validate.Regexp(r"^\d{6}$"))
    override_reason = fields.String(validate=validate.Length(min=1, max=2000))


class ApproveSchema(Schema):
    note = fields.String(validate=validate.Length(max=2000))


class RejectSchema(Schema):
    reason_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = fields.String(validate=validate.Length(max=2000))


class FhirResourceSchema(Schema):
    """A FHIR R4 resource (validated against the R4 models in the tests)."""

    class Meta:
        unknown = "include"

    resourceType = fields.String(required=True)
    id = fields.String(required=True)


class AccessLogEntrySchema(Schema):
    """One read of a patient's data by staff (or a refused attempt by anyone), from the audit log."""

    at = fields.DateTime(required=True)
    who = fields.String(attribute="actor_id", required=True, metadata={"description": "the reader's user id"})
    role = fields.Function(lambda e: e.detail.get("role"), metadata={"description": "doctor, pharmacist, admin"})
    action = fields.String(required=True)
    subject = fields.Function(lambda e: f"{e.subject_type}:{e.subject_id}")
    refused = fields.Function(lambda e: bool(e.detail.get("refused")))
