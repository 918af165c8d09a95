"""Domain errors with stable slugs, and the one place that turns every error into problem+json."""

import logging

from flask import g, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("rxloop.errors")

PROBLEM_JSON = "application/problem+json"

# slug -> (status, title): the registry of every problem type a client can see.
PROBLEMS = {
    "malformed-request": (400, "Malformed request"),
    "unauthenticated": (401, "Authentication required"),
    "forbidden": (403, "Forbidden"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "invalid-transition": (409, "Invalid transition"),
    "out-of-stock": (409, "Out of stock"),
    "prescription-required": (409, "Prescription required"),
    "prescription-exhausted": (409, "Prescription exhausted"),
    "already-claimed": (409, "Already claimed"),
    "payload-too-large": (413, "Payload too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-error": (422, "Validation error"),
    "safety-check-failed": (422, "Safety check failed"),
    "policy-violation": (422, "Policy violation"),
    "payment-declined": (402, "Payment declined"),
    "rate-limited": (429, "Too many requests"),
    "internal-error": (500, "Internal server error"),
    "payment-provider-error": (502, "Payment provider error"),
    "service-unavailable": (503, "Service unavailable"),
}

_STATUS_SLUGS = {
    400: "malformed-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
    415: "unsupported-media-type", 422: "validation-error", 429: "rate-limited",
    500: "internal-error", 502: "payment-provider-error", 503: "service-unavailable",
}


class DomainError(Exception):
    """A refusal a client can act on; `extra` members are added to the problem body."""

    slug = "conflict"

    def __init__(self, detail: str, *, slug: str | None = None, errors: dict | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.slug = slug
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    @property
    def status(self) -> int:
        return PROBLEMS[self.slug][0]


class Unauthenticated(DomainError):
    slug = "unauthenticated"


class Forbidden(DomainError):
    slug = "forbidden"


class NotFound(DomainError):
    slug = "not-found"


class Conflict(DomainError):
    slug = "conflict"


class InvalidTransition(DomainError):
    slug = "invalid-transition"


class AlreadyClaimed(DomainError):
    slug = "already-claimed"


class ValidationFailed(DomainError):
    slug = "validation-error"


class PolicyViolation(DomainError):
    slug = "policy-violation"


# FHIR's issue codes for the statuses a FHIR read can answer with.
_FHIR_ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               422: "invalid", 429: "throttled"}


def operation_outcome(status: int, detail: str | None):
    """On /fhir/ paths errors are FHIR OperationOutcomes, as FHIR clients expect."""
    body = {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error" if status < 500 else "fatal",
        "code": _FHIR_ISSUE.get(status, "exception"), "diagnostics": detail or ""}]}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/fhir+json"
    return response


def problem(slug: str, detail: str | None = None, *, status: int | None = None,
            errors: dict | None = None, headers: dict | None = None, **extra):
    code, title = PROBLEMS.get(slug, (status or 500, slug))
    status = status or code
    if has_request_context() and request.path.startswith("/fhir/"):
        response = operation_outcome(status, detail)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response
    body = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, prefix="") -> dict:
    """webargs nests errors by location and field; clients want `items.0.drug_id` paths."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(_flatten(value, path))
            else:
                flat[path] = value if isinstance(value, list) else [str(value)]
    elif messages:
        flat[prefix or "_schema"] = messages if isinstance(messages, list) else [str(messages)]
    return flat


def _validation_errors(exc: HTTPException) -> dict | None:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if not messages:
        return None
    # Drop the location level ("json", "query", ...) unless it is the only information.
    merged = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            merged.update(fields)
        else:
            merged[location] = fields
    return _flatten(merged)


def handle_domain_error(exc: DomainError):
    return problem(exc.slug, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    slug = _STATUS_SLUGS.get(status, "internal-error" if status >= 500 else "malformed-request")
    headers = {}
    try:
        headers = dict(exc.get_headers() or [])
    except TypeError:  # webargs builds some HTTPExceptions with headers=None
        headers = {}
    headers.pop("Content-Type", None)
    errors = _validation_errors(exc)
    detail = exc.description if status != 422 else "The request body or parameters are invalid."
    if status == 400 and errors:
        detail = "The request body is not valid JSON."
    if status == 429:
        detail = "Too many requests; try again later."
    return problem(slug, detail, status=status, errors=errors if status == 422 else None,
                   headers=headers)


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return problem("internal-error", "Something went wrong on our side; it has been logged.",
                   request_id=g.get("request_id"))


def register(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)

    @app.before_request
    def _require_json_bodies():
        if request.method in ("POST", "PUT", "PATCH") and request.content_length:
            if request.endpoint and getattr(
                app.view_functions.get(request.endpoint), "_rxloop_raw_body", False
            ):
                return None
            if not request.is_json:
                return problem("malformed-request", "Send the body as application/json.")
            if request.get_json(silent=True) is None:
                return problem("malformed-request", "The request body is not valid JSON.")
        return None
