"""Domain errors with stable slugs, and the one place that turns every error into problem+json."""

import logging

from flask import g, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

from core.i18n import _
from core.problems import Problem
from core.validation_messages import translate

log = logging.getLogger("rxloop.errors")

PROBLEM_JSON = "application/problem+json"

# The problem an HTTP error from routing or validation (werkzeug's) is served as.
_FOR_STATUS = {
    400: Problem.MALFORMED_REQUEST, 401: Problem.UNAUTHENTICATED, 403: Problem.FORBIDDEN,
    404: Problem.NOT_FOUND, 405: Problem.METHOD_NOT_ALLOWED, 409: Problem.CONFLICT,
    413: Problem.PAYLOAD_TOO_LARGE, 415: Problem.UNSUPPORTED_MEDIA_TYPE, 422: Problem.VALIDATION_ERROR,
    429: Problem.RATE_LIMITED, 500: Problem.INTERNAL_ERROR, 502: Problem.PAYMENT_PROVIDER_ERROR,
    503: Problem.SERVICE_UNAVAILABLE,
}


class DomainError(Exception):
    """A refusal a client can act on; `extra` members are added to the problem body.

    A subclass names its problem from the registry: `problem = Problem.OUT_OF_STOCK`.
    """

    problem: Problem = Problem.CONFLICT

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("slug")
        if isinstance(declared, str):
            # The older spelling, `slug = "out-of-stock"`: still read, checked the same way.
            cls.problem = Problem(declared)
            del cls.slug
        if not isinstance(cls.problem, Problem):
            raise TypeError(f"{cls.__name__}.problem must be a member of Problem, not {cls.problem!r}")

    def __init__(self, detail: str, *, slug: str | None = None, errors: dict | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.problem = Problem(slug)
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    @property
    def slug(self) -> str:
        return self.problem.slug

    @property
    def status(self) -> int:
        return self.problem.status


class Unauthenticated(DomainError):
    problem = Problem.UNAUTHENTICATED


class Forbidden(DomainError):
    problem = Problem.FORBIDDEN


class NotFound(DomainError):
    problem = Problem.NOT_FOUND


class Conflict(DomainError):
    problem = Problem.CONFLICT


class InvalidTransition(DomainError):
    problem = Problem.INVALID_TRANSITION


class AlreadyClaimed(DomainError):
    problem = Problem.ALREADY_CLAIMED


class ValidationFailed(DomainError):
    problem = Problem.VALIDATION_ERROR


class PolicyViolation(DomainError):
    problem = Problem.POLICY_VIOLATION


class ServiceUnavailable(DomainError):
    problem = Problem.SERVICE_UNAVAILABLE


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


def problem(kind: Problem | str, detail: str | None = None, *, status: int | None = None,
            errors: dict | None = None, headers: dict | None = None, **extra):
    """The response for a problem of the registry (a member or its slug; any other slug is a ValueError).

    `status` overrides the registry's only for HTTP errors it has no member of its own for.
    """
    kind = Problem(kind)
    status = status or kind.status
    if has_request_context() and request.path.startswith("/fhir/"):
        response = operation_outcome(status, detail)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response
    body = {"type": kind.type, "title": _(kind.title), "status": status}  # the registry holds the msgid
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
                flat[path] = _messages(value)
    elif messages:
        flat[prefix or "_schema"] = _messages(messages)
    return flat


def _messages(value) -> list:
    """A field's messages in the client's language (marshmallow's are English as it raises them)."""
    return [translate(m) if isinstance(m, str) else m for m in value] if isinstance(value, list) else [translate(value)]


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
    return problem(exc.problem, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    kind = _FOR_STATUS.get(status, Problem.INTERNAL_ERROR if status >= 500 else Problem.MALFORMED_REQUEST)
    headers = {}
    try:
        headers = dict(exc.get_headers() or [])
    except TypeError:  # webargs builds some HTTPExceptions with headers=None
        headers = {}
    headers.pop("Content-Type", None)
    errors = _validation_errors(exc)
    detail = exc.description if status != 422 else _("The request body or parameters are invalid.")
    if detail == type(exc).description:  # werkzeug's own English sentence: the registry's, translated
        detail = _(kind.description)
    if status == 400 and errors:
        detail = _("The request body is not valid JSON.")
    if status == 429:
        detail = _("Too many requests; try again later.")
    return problem(kind, detail, status=status, errors=errors if status == 422 else None,
                   headers=headers)


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    if getattr(exc, "connection_invalidated", False):  # the database went away mid-request
        log.exception("database connection lost", extra={"request_id": g.get("request_id")})
        return problem(Problem.SERVICE_UNAVAILABLE, _("The database is unavailable; nothing was saved."),
                       request_id=g.get("request_id"))
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return problem(Problem.INTERNAL_ERROR, _("Something went wrong on our side; it has been logged."),
                   request_id=g.get("request_id"))


def register(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
