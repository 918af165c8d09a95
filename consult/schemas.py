"""Schemas of the clinical API."""

from marshmallow import Schema, fields, validate

from core.schemas import PageArgsSchema, StrictBoolean, StrictFloat, StrictInteger

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


class PatientProfileSchema(Schema):
    id = fields.String(dump_only=True)
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    birth_date = fields.Date()
    sex = fields.String(validate=validate.OneOf(SEXES))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    pregnant = StrictBoolean(allow_none=True)
    weight_kg = StrictFloat(allow_none=True, validate=validate.Range(min=0.3, max=500))
    allergies = fields.List(fields.Nested(AllergySchema), validate=validate.Length(max=50))
    conditions = fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=50))
    current_medications = fields.List(fields.Nested(MedicationSchema), validate=validate.Length(max=50))
    updated_at = fields.DateTime(dump_only=True)


class CodedSchema(Schema):
    """An ICD-10 diagnosis: code and display text."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$",
                                                                 error="Not an ICD-10 code."))
    display = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DrugSchema(Schema):
    id = fields.String(required=True)
    generic_name = fields.String(required=True)
    strength = fields.String(required=True)
    form = fields.String(required=True)
    route = fields.String(required=True)
    atc_code = fields.String(required=True)
    rx_class = fields.String(required=True)
    us_schedule = fields.String(allow_none=True)
    cn_special_class = fields.String(allow_none=True)


class DrugQuerySchema(PageArgsSchema):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    rx_class = fields.String(load_default=None, validate=validate.OneOf(("otc", "rx", "controlled")))


class ConsultationRequestSchema(Schema):
    chief_complaint = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    symptoms = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                           load_default=list, validate=validate.Length(max=30))
    is_follow_up = StrictBoolean(required=True)
    prior_diagnosis = fields.Nested(CodedSchema, allow_none=True)
    requested_product_ids = fields.List(fields.String(validate=validate.Length(max=40)),
                                        load_default=list, validate=validate.Length(max=20))


class ConsultationSchema(Schema):
    id = fields.String(required=True)
    patient_id = fields.String(required=True)
    doctor_id = fields.String(allow_none=True)
    status = fields.String(required=True)
    chief_complaint = fields.String(required=True)
    symptoms = fields.List(fields.String())
    is_follow_up = StrictBoolean()
    prior_diagnosis = fields.Nested(CodedSchema, allow_none=True)
    requested_product_ids = fields.List(fields.String())
    triage = fields.Function(lambda c: {"reasons": c.triage_reasons})
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
    drug_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    dose = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100000))
    dose_unit = fields.String(required=True, validate=validate.OneOf(DOSE_UNITS))
    frequency_per_day = StrictFloat(required=True, validate=validate.Range(min=0, min_inclusive=False, max=24))
    route = fields.String(required=True, validate=validate.Length(min=1, max=40))
    days_supply = StrictInteger(required=True, validate=validate.Range(min=1, max=365))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=10000))
    refills = StrictInteger(load_default=0, validate=validate.Range(min=0, max=11))
    instructions = fields.String(validate=validate.Length(max=1000))


class PrescriptionDraftSchema(Schema):
    items = fields.List(fields.Nested(PrescriptionItemInSchema), required=True,
                        validate=validate.Length(min=1, max=10))
    diagnosis = fields.Nested(CodedSchema, required=True)


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
    dose = fields.Decimal(as_string=True)
    dose_unit = fields.String()
    frequency_per_day = fields.Decimal(as_string=True)
    route = fields.String()
    days_supply = StrictInteger()
    quantity = StrictInteger()
    refills = StrictInteger()
    instructions = fields.String(allow_none=True)
    quantity_remaining = StrictInteger()
    refills_remaining = StrictInteger()


class ReviewSchema(Schema):
    decision = fields.String()
    reason_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PrescriptionSchema(Schema):
    id = fields.String(required=True)
    consultation_id = fields.String()
    patient_id = fields.String()
    doctor_id = fields.String()
    status = fields.String(required=True)
    diagnosis = fields.Nested(CodedSchema)
    safety = fields.Nested(SafetySchema)
    override_reason = fields.String(allow_none=True)
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
