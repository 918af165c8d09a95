"""The registry of every problem type a client can see: slug, HTTP status, title, description."""

from enum import Enum, unique

from core.i18n import N_


@unique
class Problem(Enum):
    """One member per RFC 9457 problem type; its slug is its value and never changes.

    `Problem("out-of-stock")` finds a member by slug and raises ValueError for any other
    string, so a mistyped slug fails where it is written, not in a client.
    """

    MALFORMED_REQUEST = (
        "malformed-request", 400, N_("Malformed request"),
        N_("The request could not be read as sent: its body is not JSON or nests too deep, is "
        "not sent as application/json or not signed as the endpoint requires, or a header "
        "value holds a NUL character."))
    UNAUTHENTICATED = (
        "unauthenticated", 401, N_("Authentication required"),
        N_("No valid bearer token came with the request (missing, expired or revoked); "
        "get one from POST /api/v1/auth/token."))
    FORBIDDEN = (
        "forbidden", 403, N_("Forbidden"),
        N_("You are signed in, but your role or your relation to this record does not allow this."))
    NOT_FOUND = (
        "not-found", 404, N_("Not found"),
        N_("Nothing is at this address, or what is there is not yours to see."))
    METHOD_NOT_ALLOWED = (
        "method-not-allowed", 405, N_("Method not allowed"),
        N_("The address exists but does not accept this HTTP method; the Allow header lists "
        "those it does."))
    CONFLICT = (
        "conflict", 409, N_("Conflict"),
        N_("The request conflicts with the current state of the data, such as an Idempotency-Key "
        "reused with a different body or a change made meanwhile; nothing was saved."))
    INVALID_TRANSITION = (
        "invalid-transition", 409, N_("Invalid transition"),
        N_("The record's status does not allow this step; `current_status` and `target_status` "
        "say which move was refused."))
    OUT_OF_STOCK = (
        "out-of-stock", 409, N_("Out of stock"),
        N_("Not enough unexpired, unrecalled stock is free for a product; `requested` and "
        "`available` give the numbers."))
    PRESCRIPTION_REQUIRED = (
        "prescription-required", 409, N_("Prescription required"),
        N_("A prescription medicine needs an approved, unexpired prescription of yours covering "
        "the drug and quantity; `consultation_url` is where to start a consultation for one."))
    PRESCRIPTION_EXHAUSTED = (
        "prescription-exhausted", 409, N_("Prescription exhausted"),
        N_("The prescription has too few units or refills left for this quantity."))
    ALREADY_CLAIMED = (
        "already-claimed", 409, N_("Already claimed"),
        N_("Another doctor or pharmacist took this consultation or prescription first."))
    PAYLOAD_TOO_LARGE = (
        "payload-too-large", 413, N_("Payload too large"),
        N_("The request body is larger than the server accepts."))
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupported-media-type", 415, N_("Unsupported media type"),
        N_("The request body's content type is not one this endpoint accepts."))
    VALIDATION_ERROR = (
        "validation-error", 422, N_("Validation error"),
        N_("The request is well-formed but some values are not acceptable; `errors` maps each "
        "field path to its messages."))
    SAFETY_CHECK_FAILED = (
        "safety-check-failed", 422, N_("Safety check failed"),
        N_("A blocking clinical safety finding (an interaction, an allergy, a dose, ...) forbids "
        "this; `safety` lists the findings."))
    POLICY_VIOLATION = (
        "policy-violation", 422, N_("Policy violation"),
        N_("The jurisdiction's rules forbid this; `rule` and `citation` name the rule."))
    PAYMENT_DECLINED = (
        "payment-declined", 402, N_("Payment declined"),
        N_("The card was declined; `decline_code` gives the issuer's reason when it sent one."))
    RATE_LIMITED = (
        "rate-limited", 429, N_("Too many requests"),
        N_("Too many requests in a short time; wait as many seconds as Retry-After says."))
    INTERNAL_ERROR = (
        "internal-error", 500, N_("Internal server error"),
        N_("Something failed on the server and was logged under the `request_id` in the body; "
        "nothing was saved."))
    PAYMENT_PROVIDER_ERROR = (
        "payment-provider-error", 502, N_("Payment provider error"),
        N_("The payment provider did not complete the operation; nothing was changed here, so "
        "trying again is safe."))
    SERVICE_UNAVAILABLE = (
        "service-unavailable", 503, N_("Service unavailable"),
        N_("The database is unavailable; nothing was saved, try again shortly."))

    def __new__(cls, slug: str, status: int, title: str, description: str):
        member = object.__new__(cls)
        member._value_ = slug
        member.status = status
        member.title = title
        member.description = description
        return member

    @classmethod
    def _missing_(cls, value):
        raise ValueError(f"{value!r} is not a problem slug; every slug is declared in core.problems.Problem")

    @property
    def slug(self) -> str:
        return self.value

    @property
    def type(self) -> str:
        """The problem's `type` URI, relative to the server, which serves a page there."""
        return f"/problems/{self.slug}"
