"""The OpenAPI document is a contract a client can be written from: every operation named,
summarised, described and exemplified (its problems included), every field described, and every
example valid against its own schema."""

import json

import jsonschema_rs
import pytest

from core.openapi import declares, describe
from core.problems import Problem

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/openapi.json").json


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", item, operation


def media_of(operation):
    body = operation.get("requestBody")
    for media_type, media in (body or {}).get("content", {}).items():
        yield "request", media_type, media
    for status, response in operation["responses"].items():
        for media_type, media in response.get("content", {}).items():
            yield status, media_type, media


def examples_of(media):
    if "example" in media:
        yield media["example"]
    for example in media.get("examples", {}).values():
        yield example["value"]


def test_every_operation_has_a_unique_readable_operation_id(spec):
    ids = [operation.get("operationId") for _, _, operation in operations(spec)]
    assert [i for i in ids if not (i and i.isidentifier() and i.islower())] == []
    assert len(ids) == len(set(ids))


def test_every_operation_has_a_summary_and_a_description(spec):
    missing = [(name, key) for name, _, operation in operations(spec) for key in ("summary", "description")
               if not operation.get(key, "").strip()]
    assert missing == []


def test_every_request_body_and_response_carries_an_example(spec):
    missing = [(name, status, media_type) for name, _, operation in operations(spec)
               for status, media_type, media in media_of(operation) if not list(examples_of(media))]
    assert missing == []


def test_every_parameter_has_a_description_and_an_example(spec):
    missing = [(name, parameter["name"]) for name, item, operation in operations(spec)
               for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]
               if not parameter.get("description") or "example" not in parameter]
    assert missing == []


def test_every_field_of_every_schema_has_a_description(spec):
    missing = [f"{name}.{field}" for name, schema in spec["components"]["schemas"].items()
               for field, prop in schema.get("properties", {}).items() if not prop.get("description")]
    assert missing == []


def test_every_example_is_valid_against_its_schema(spec):
    invalid = []
    for name, _, operation in operations(spec):
        for status, media_type, media in media_of(operation):
            validator = jsonschema_rs.Draft202012Validator({**media["schema"], "components": spec["components"]})
            for example in examples_of(media):
                if not validator.is_valid(example):
                    invalid.append((name, status, media_type, json.dumps(example)[:200]))
    assert invalid == []


def test_every_problem_example_is_the_registrys_body_for_its_status(spec):
    wrong = []
    for name, _, operation in operations(spec):
        for status, media_type, media in media_of(operation):
            if media_type != "application/problem+json":
                continue
            for slug, example in media["examples"].items():
                problem = Problem(slug)
                body = example["value"]
                if (body["type"], body["title"], body["status"]) != (problem.type, problem.title, problem.status) or \
                        status not in (str(problem.status), "default"):
                    wrong.append((name, status, slug))
    assert wrong == []


def responses_problems(spec, method, path):
    responses = spec["paths"][path][method]["responses"]
    return {slug for status, response in responses.items() if status[0] in "45"
            for slug in response["content"]["application/problem+json"]["examples"]}


def test_an_operation_documents_the_problems_its_access_and_arguments_imply(spec):
    assert responses_problems(spec, "put", "/api/v1/cart/items/{product_id}") == {
        "malformed-request", "unauthenticated", "forbidden", "not-found", "payload-too-large",
        "unsupported-media-type", "validation-error"}
    assert responses_problems(spec, "get", "/api/v1/products/{product_id}") == {"malformed-request", "not-found"}


def test_an_operation_documents_the_problems_its_view_declares(spec):
    assert {"out-of-stock", "prescription-required", "prescription-exhausted", "payment-declined",
            "payment-provider-error", "conflict"} <= responses_problems(spec, "post", "/api/v1/orders")
    checkout = spec["paths"]["/api/v1/orders"]["post"]["responses"]["409"]["content"]["application/problem+json"]
    assert checkout["examples"]["prescription-required"]["value"]["consultation_url"] == "/api/v1/consultations"


def test_every_response_of_an_api_operation_is_served_as_documented_for_a_refusal(client, spec):
    """The 404 a missing order gets is the not-found body the document shows, status and type alike."""
    documented = spec["paths"]["/api/v1/products/{product_id}"]["get"]["responses"]["404"]
    served = client.get("/api/v1/products/no-such-product")
    assert served.status_code == 404
    assert served.mimetype in documented["content"]
    example = documented["content"][served.mimetype]["examples"]["not-found"]["value"]
    assert (served.json["type"], served.json["title"]) == (example["type"], example["title"])


def test_a_view_declares_only_problems_of_the_registry():
    with pytest.raises(TypeError):
        declares("out-of-stock")


def test_a_description_for_a_field_a_schema_lacks_is_refused():
    from core.schemas import MoneySchema

    with pytest.raises(ValueError):
        describe(MoneySchema, amuont="A typo.")


def test_the_document_counts(spec):
    """The figures the report quotes: every operation and every field is covered above."""
    fields = sum(len(s.get("properties", {})) for s in spec["components"]["schemas"].values())
    assert (len(list(operations(spec))), fields) == (83, 469)
