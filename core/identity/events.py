"""Identity's audit events: every action on an account written to the audit log, by name.

Each value is what the log stores; find every place an event is written by its name."""

from core.audit import AuditEvent


class IdentityEvent(AuditEvent):
    USER_CREATED = "user.created"
    USER_LOCKED = "user.locked"
    USER_OTP_LOCKED = "user.otp_locked"
    USER_LOGGED_IN = "user.logged_in"
    USER_LOGGED_OUT = "user.logged_out"
    USER_TOTP_ENROLLED = "user.totp_enrolled"
    USER_TOTP_ENROLMENT_STARTED = "user.totp_enrolment_started"
    USER_TOTP_RESET = "user.totp_reset"
    USER_UNLOCKED = "user.unlocked"
