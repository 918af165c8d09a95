"""Every problem type a client can see is declared once, in core.problems.Problem."""

import re

import pytest

from core.errors import DomainError, ServiceUnavailable, handle_domain_error, problem
from core.problems import Problem

# What clients rely on: a slug, once published, keeps its status and title.
PUBLISHED = {
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


def test_every_published_slug_keeps_its_status_and_title():
    assert {p.slug: (p.status, p.title) for p in Problem} == PUBLISHED


def test_every_slug_is_unique():
    slugs = [p.slug for p in Problem]
    assert len(slugs) == len(set(slugs))


def test_every_slug_is_lower_case_words_joined_by_hyphens():
    assert [p.slug for p in Problem if not re.fullmatch(r"[a-z]+(-[a-z]+)*", p.slug)] == []


def test_every_problem_is_described_in_one_sentence():
    assert [p.slug for p in Problem if not re.fullmatch(r"[A-Z][^\n]*\.", p.description)] == []


def test_a_problem_is_found_by_its_slug():
    assert Problem("out-of-stock") is Problem.OUT_OF_STOCK


def test_an_unknown_slug_is_no_problem():
    with pytest.raises(ValueError):
        Problem("out-of-stok")


def test_a_subclass_naming_an_unknown_slug_fails_at_its_definition():
    with pytest.raises(ValueError):
        class Mistyped(DomainError):
            slug = "out-of-stok"


def test_a_subclass_naming_its_problem_by_a_string_fails_at_its_definition():
    with pytest.raises(TypeError):
        class Untyped(DomainError):
            problem = "out-of-stock"


def test_a_subclass_names_its_problem_from_the_registry():
    class Gone(DomainError):
        problem = Problem.NOT_FOUND

    error = Gone("No such lot.")
    assert (error.slug, error.status) == ("not-found", 404)


def test_a_subclass_declaring_a_known_slug_names_that_problem():
    class Sold(DomainError):
        slug = "out-of-stock"

    assert Sold.problem is Problem.OUT_OF_STOCK
    assert Sold("None left.").slug == "out-of-stock"


def test_a_domain_error_is_a_conflict_unless_it_says_otherwise():
    assert DomainError("No.").problem is Problem.CONFLICT


def test_a_slug_given_to_one_error_names_its_problem():
    error = DomainError("The card was declined.", slug="payment-declined")
    assert (error.problem, error.slug, error.status) == (Problem.PAYMENT_DECLINED, "payment-declined", 402)


def test_an_unknown_slug_given_to_one_error_is_refused():
    with pytest.raises(ValueError):
        DomainError("The card was declined.", slug="card-declined")


def test_a_response_for_an_unknown_slug_is_refused(app):
    with app.test_request_context("/api/v1/orders"), pytest.raises(ValueError):
        problem("made-up", "Nobody declared this.")


def test_a_domain_error_is_served_with_its_problems_type_title_and_status(app):
    with app.test_request_context("/readyz"):
        response = handle_domain_error(ServiceUnavailable("The database is not reachable."))
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json == {"type": "/problems/service-unavailable", "title": "Service unavailable",
                             "status": 503, "detail": "The database is not reachable."}
