"""Numbers and booleans are taken as JSON types, never coerced: 1.5 is no quantity, "2" no
integer, 0 and "true" no boolean."""

import pytest
from marshmallow import fields

from core.schemas import QueryInteger, StrictBoolean, StrictFloat, StrictInteger
from tests.core.test_problems import assert_problem
from tests.factories.shop import make_product

COMPLAINT = {"chief_complaint": "a dry cough", "is_follow_up": False}


@pytest.mark.parametrize("quantity", [1.5, 2.0, "2", True, None, [2]], ids=repr)
def test_a_quantity_that_is_not_a_json_integer_is_refused_and_nothing_is_added(login_as, session, quantity):
    product = make_product(session)
    patient = login_as("patient")
    response = patient.put(f"/api/v1/cart/items/{product.id}", json={"quantity": quantity})
    assert_problem(response, 422, "validation-error")
    assert list(response.json["errors"]) == ["quantity"]
    assert patient.get("/api/v1/cart").json["lines"] == []


@pytest.mark.parametrize("flag", [0, 1, "true", "false", "yes", "on", "", None], ids=repr)
def test_a_boolean_that_is_not_json_true_or_false_is_refused(login_as, flag):
    response = login_as("patient").post("/api/v1/consultations", json={**COMPLAINT, "is_follow_up": flag})
    assert_problem(response, 422, "validation-error")
    assert list(response.json["errors"]) == ["is_follow_up"]


@pytest.mark.parametrize("weight", ["70", "70.5", True, "NaN"], ids=repr)
def test_a_number_that_is_not_a_json_number_is_refused(login_as, weight):
    response = login_as("patient").put("/api/v1/patients/me", json={"weight_kg": weight})
    assert_problem(response, 422, "validation-error")
    assert list(response.json["errors"]) == ["weight_kg"]


@pytest.mark.parametrize("limit", [" 5", "5 ", "+5", "1_0", "\N{ARABIC-INDIC DIGIT FIVE}", "5.0", "0x5"], ids=repr)
def test_a_query_integer_is_ascii_digits(client, limit):
    response = client.get("/api/v1/products", query_string={"limit": limit})
    assert_problem(response, 422, "validation-error")
    assert list(response.json["errors"]) == ["limit"]


def test_json_integers_and_booleans_are_taken(login_as, session):
    product = make_product(session)
    patient = login_as("patient")
    assert patient.put(f"/api/v1/cart/items/{product.id}", json={"quantity": 2}).json["lines"][0]["quantity"] == 2
    assert patient.post("/api/v1/consultations", json={**COMPLAINT, "is_follow_up": True}).status_code == 201
    assert patient.get("/api/v1/products?limit=5").status_code == 200


LENIENT = {fields.Integer: StrictInteger, fields.Float: StrictFloat, fields.Boolean: StrictBoolean}


def lenient_fields(schema, where):
    schema = schema() if isinstance(schema, type) else schema
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        while isinstance(field, fields.List):
            field = field.inner
        if isinstance(field, fields.Nested):
            yield from lenient_fields(field.schema, f"{where}.{name}")
            continue
        for kind, strict in LENIENT.items():
            if isinstance(field, kind) and not isinstance(field, strict):
                if not (where.startswith("query") and isinstance(field, QueryInteger)):
                    yield f"{where}.{name}: {type(field).__name__}"


def test_every_number_and_boolean_an_endpoint_takes_is_strict(app):
    found = []
    for endpoint, view in app.view_functions.items():
        for argument in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            found += lenient_fields(argument["schema"], f"{argument['in']} of {endpoint}")
    assert found == []
