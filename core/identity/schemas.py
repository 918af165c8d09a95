"""Schemas of the identity endpoints."""

from marshmallow import Schema, fields, validate

from core.identity.models import ROLES
from core.schemas import StrictBoolean, StrictInteger


class TokenRequestSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    otp = fields.String(validate=validate.Regexp(r"^\d{6}$"))


class UserRefSchema(Schema):
    id = fields.String(required=True)
    role = fields.String(required=True)


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = StrictInteger(required=True)
    user = fields.Nested(UserRefSchema, required=True)


class UserSchema(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    full_name = fields.String(required=True)
    license_number = fields.String(allow_none=True)
    specialty = fields.String(allow_none=True)
    totp_enrolled = StrictBoolean(attribute="totp_confirmed")


class NewUserSchema(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=10, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    license_number = fields.String(validate=validate.Length(min=1, max=64))
    specialty = fields.String(validate=validate.Length(min=1, max=100))


class TotpEnrolmentSchema(Schema):
    provisioning_uri = fields.String(required=True)


class TotpEnrolmentRequestSchema(Schema):
    """Changing the authenticator needs more than a bearer token: the password, and a current
    code when one is enrolled."""

    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    otp = fields.String(validate=validate.Regexp(r"^\d{6}$"))


class AdminReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class OtpSchema(Schema):
    otp = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
