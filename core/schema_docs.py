"""What each field of core's schemas means, for the OpenAPI document (core.openapi.describe).

Kept beside the schemas rather than inside them so the field declarations stay one line each;
tests/core/test_openapi_contract.py fails on any field of the document left without a description.
"""

from core.api import AuditCheckpointSchema, AuditEntrySchema, AuditQuerySchema, AuditVerifySchema, HealthSchema
from core.identity.schemas import (
    AdminReasonSchema, NewUserSchema, OtpSchema, TokenRequestSchema, TokenSchema, TotpEnrolmentRequestSchema,
    TotpEnrolmentSchema, UserRefSchema, UserSchema,
)
from core.openapi import describe
from core.schemas import MoneySchema, PageArgsSchema, ProblemSchema

USER_ID = "01JF3Z8Q4W6X2Y7V9T5R3N1M0K"
OTP = ("A current six-digit code from the user's authenticator app.", "492039")

describe(ProblemSchema,
         type=("The problem's type: `/problems/<slug>`, a stable slug and a page saying what it means.",
               "/problems/out-of-stock"),
         title=("The problem type's short title (the same for every occurrence).", "Out of stock"),
         status=("The HTTP status code, repeated.", 409),
         detail=("What went wrong this time, in words for the user.", "Not enough stock for this product."),
         errors=("Validation failures: each field path (`items.0.quantity`) mapped to its messages.",
                 {"items.0.quantity": ["Must be greater than or equal to 1 and less than or equal to 100."]}))
describe(MoneySchema,
         amount=("The amount in the currency's minor units (fen, cents): 1250 is 12.50.", 1250),
         currency=("The ISO 4217 code in lower case, as Stripe writes it.", "cny"))
describe(PageArgsSchema,
         limit=("How many items a page holds (default 20, at most 100).", 20),
         cursor=("The `next_cursor` of the previous page; leave it out for the first page.",
                 "eyJrIjpbIjIwMjYtMTItMDciXX0"))
describe(HealthSchema, status=("`ok` for liveness, `ready` for readiness.", "ok"))
describe(AuditEntrySchema,
         seq=("The entry's position in the chain, from 1.", 1042),
         at="When the entry was written (UTC).",
         actor=("The user id of who did it, or null for the system.", USER_ID),
         action=("What was done, as `context.verb` (e.g. `order.paid`, `patient.read`).", "order.paid"),
         subject=("What it was done to, as `type:id`.", "order:01JF3Z9K2M4N6P8Q0R2S4T6V8X"),
         subject_type=("The kind of record acted on.", "order"),
         subject_id=("The id of the record acted on.", "01JF3Z9K2M4N6P8Q0R2S4T6V8X"),
         patient_id="The patient whose data it concerns, if any.",
         detail=("Facts of the event (never clinical free text).", {"amount": 2400}))
describe(AuditQuerySchema,
         actor=("Only entries by this user id.", USER_ID),
         action=("Only entries of this action.", "order.paid"))
describe(AuditVerifySchema,
         ok="Whether every entry's hash and link to its predecessor recompute as stored.",
         entries="How many entries were checked.",
         first_bad="The seq of the first entry that does not recompute, or null.",
         reason="Why that entry fails, or null.")
describe(AuditCheckpointSchema,
         id="The checkpoint's id.",
         seq="The last entry the checkpoint covers.",
         hash="The chain's hash at that entry.",
         at="When the checkpoint was signed (UTC).",
         key_id="Which of the server's signing keys signed it.",
         signature="The Ed25519 signature of `seq` and `hash`, base64-encoded.")
describe(TokenRequestSchema,
         email=("The account's email address.", "wang.fang@example.com"),
         password=("The account's password.", "correct horse battery staple"),
         otp=OTP)
describe(UserRefSchema, id=("The user's id.", USER_ID), role=("`patient`, `doctor`, `pharmacist` or `admin`.", "patient"))
describe(TokenSchema,
         access_token=("The bearer token: send it as `Authorization: Bearer <token>`.", "q2Zr9Xw1bT5kP0sL8yN3vC6mH4jA7eD2"),
         token_type=("Always `Bearer`.", "Bearer"),
         expires_in=("Seconds until the token expires.", 3600),
         user="Who signed in.")
describe(UserSchema,
         id=("The user's id.", USER_ID),
         email=("The account's email address.", "wang.fang@example.com"),
         role=("`patient`, `doctor`, `pharmacist` or `admin`.", "patient"),
         full_name=("The user's name as they gave it.", "Wang Fang"),
         license_number="A doctor's or pharmacist's license number; null for others.",
         specialty="A doctor's specialty; null for others.",
         totp_enrolled="Whether an authenticator app is enrolled (needed by a doctor to sign controlled drugs).")
describe(NewUserSchema,
         email=("The new account's email address, not already in use.", "li.na@example.com"),
         password=("At least 10 characters.", "correct horse battery staple"),
         role=("`patient`, `doctor`, `pharmacist` or `admin`.", "doctor"),
         full_name=("The person's name.", "Li Na"),
         license_number=("Required for doctors and pharmacists.", "110101200012345"),
         specialty=("Required for doctors.", "General practice"))
describe(TotpEnrolmentSchema,
         provisioning_uri=("An `otpauth://` URI to show as a QR code for the authenticator app.",
                           "otpauth://totp/rxloop:li.na%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=rxloop"))
describe(OtpSchema, otp=OTP)
describe(TotpEnrolmentRequestSchema,
         password=("The account's password, entered again: a bearer token alone does not change the authenticator.",
                   "correct horse battery staple"),
         otp=("A current six-digit code from the authenticator already enrolled; required only when replacing one.",
              "492039"))
describe(AdminReasonSchema,
         reason=("Why the admin does it (3 to 500 characters), kept in the audit entry.",
                 "Lost phone; identity checked by video call."))
