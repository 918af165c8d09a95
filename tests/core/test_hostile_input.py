"""Hostile values in every field and parameter the OpenAPI document declares, sent by every
role that may call the operation: each is refused with one exact 4xx, as problem+json (an
OperationOutcome on /fhir/), and changes nothing.

The table is generated from /api/openapi.json: a new operation, field or parameter is in it
without anyone writing a line here (a path parameter of a new name needs an id in `world`).
"""

import json
import logging
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from assistant import suggestions
from consult import patients
from consult.models import PrescriptionItem
from core.admission import MAX_JSON_DEPTH, UNSTORABLE_TEXT
from core.app import create_app
from core.db import Base
from core.identity.access import ACCESS_ATTRIBUTE
from core.identity.models import ROLES
from core.ratelimit import limiter
from shop.models import InventoryLot
from tests.conftest import TEST_CONFIG
from tests.factories.consult import signed_prescription
from tests.factories.shop import ADDRESS, make_product

# The document is the same for every database: read it once, from an app that never connects.
_SPEC_APP = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})
SPEC = _SPEC_APP.test_client().get("/api/openapi.json").json
ACCESS = {(_path, method.lower()): getattr(_SPEC_APP.view_functions[rule.endpoint], ACCESS_ATTRIBUTE, None)
          for rule in _SPEC_APP.url_map.iter_rules()
          for _path in [rule.rule.replace("<", "{").replace(">", "}")]
          for method in rule.methods - {"HEAD", "OPTIONS"}}
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [(path, method) for path, item in SPEC["paths"].items() for method in item if method in METHODS]

NUL = {"nul": "a\x00b", "only-nul": "\x00"}
# Lone surrogates only reach the app inside JSON ("\ud800"): in a URL they are UTF-8 bytes that
# werkzeug decodes with replacement characters (test_admission.py shows it).
TEXT = {**NUL, "lone-high-surrogate": "a\ud800b", "lone-low-surrogate": "\udfff"}
NOT_AN_INTEGER = {"fraction": 1.5, "float-integral": 2.0, "string": "2", "true": True, "huge": 10**30}
NOT_A_NUMBER = {"string": "2.5", "true": True}
NOT_A_BOOLEAN = {"zero": 0, "one": 1, "string": "true", "yes": "yes"}
IN_THE_QUERY_NOT_AN_INTEGER = {"fraction": "1.5", "space": " 5", "underscore": "1_0", "word": "five"}


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            return resolve(next(s for s in schema[combined] if s.get("type") != "null"))
    return schema


def kind_of(schema: dict) -> str | None:
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return next((k for k in kinds if k != "null"), "object" if "properties" in schema else None)


def leaves(schema: dict, path=()):
    """(field path, JSON type) of every value a body schema takes, nested and in arrays."""
    schema = resolve(schema)
    kind = kind_of(schema)
    if kind == "object":
        for name, field in schema.get("properties", {}).items():
            if not resolve(field).get("readOnly"):
                yield from leaves(field, (*path, name))
    elif kind == "array":
        yield from leaves(schema["items"], (*path, 0))
    elif kind is not None:
        yield path, kind


def body_with(path, value):
    """The smallest body holding `value` at `path`: ("items", 0, "drug_id") → {"items": [{"drug_id": v}]}."""
    for key in reversed(path):
        value = [value] if isinstance(key, int) else {key: value}
    return value


def dotted(path) -> str:
    return ".".join(str(key) for key in path)


def cases(path: str, method: str):
    """(label, request changes, expected status, expected `errors`).

    `errors` is the exact member a problem must have (a dict), a field it must name among
    others (a str: a minimal body misses other required fields too), or None.
    """
    operation = SPEC["paths"][path][method]
    parameters = operation.get("parameters", []) + SPEC["paths"][path].get("parameters", [])
    for parameter in parameters:
        name, where = parameter["name"], parameter["in"]
        if where == "path":
            for label, text in NUL.items():
                yield f"path {name}={label}", {"path": {name: quote(text, safe="")}}, 404, None
        elif where == "query":
            for label, text in NUL.items():
                yield f"query {name}={label}", {"query": {name: text}}, 422, {name: [UNSTORABLE_TEXT]}
            if kind_of(parameter["schema"]) == "integer":
                for label, text in IN_THE_QUERY_NOT_AN_INTEGER.items():
                    yield f"query {name}={label}", {"query": {name: text}}, 422, name
        elif where == "header":
            yield f"header {name}=nul", {"headers": {name: "idempotent\x00key"}}, 400, None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return
    yield "body nested 1,000 deep", {"data": "[" * 1000 + "]" * 1000}, 400, None
    too_deep = json.dumps(body_with([0] * (MAX_JSON_DEPTH + 1), 1))  # arrays in arrays, one level too many
    yield f"body nested {MAX_JSON_DEPTH + 1} deep", {"data": too_deep}, 400, None
    yield "body key nul", {"json": {"a\x00b": 1}}, 422, {"a\N{REPLACEMENT CHARACTER}b": [UNSTORABLE_TEXT]}
    for field, kind in leaves(content["schema"]):
        if kind == "string":
            for label, text in TEXT.items():
                yield (f"body {dotted(field)}={label}", {"json": body_with(field, text)}, 422,
                       {dotted(field): [UNSTORABLE_TEXT]})
        wrong_type = {"integer": NOT_AN_INTEGER, "number": NOT_A_NUMBER, "boolean": NOT_A_BOOLEAN}.get(kind, {})
        for label, value in wrong_type.items():
            yield f"body {dotted(field)}={label}", {"json": body_with(field, value)}, 422, dotted(field)


@pytest.fixture
def world(session, client, login_as):
    """One of everything an operation can name, and a client for every role (and none)."""
    callers = {"anonymous": client, **{role: login_as(role) for role in ROLES}}
    patient, doctor = callers["patient"].user, callers["doctor"].user
    product = make_product(session)
    prescription = signed_prescription(session, patient, doctor)
    order = callers["patient"].post("/api/v1/orders", json={
        "items": [{"product_id": product.id, "quantity": 1}], "shipping_address": ADDRESS},
        headers={"Idempotency-Key": "hostile-world-order"}).json
    ids = {"product_id": product.id, "drug_id": product.drug_id,
           "lot_id": session.scalar(select(InventoryLot.id).where(InventoryLot.product_id == product.id)),
           "consultation_id": prescription.consultation_id, "prescription_id": prescription.id,
           "item_id": session.scalar(select(PrescriptionItem.id).where(
               PrescriptionItem.prescription_id == prescription.id)),
           "order_id": order["id"], "line_id": order["items"][0]["id"],
           "patient_id": patients.of_user(session=session, user=patient).id, "user_id": doctor.id,
           "suggestion_id": suggestions.suggest(session=session, user=doctor, kind="draft_prescription",
                                                subject_id=prescription.consultation_id).id}
    session.commit()
    return callers, ids


def roles_for(path: str, method: str) -> list[str]:
    access = ACCESS[(path, method)]
    if access == ("public",):
        return ["anonymous", *ROLES]
    return list(ROLES) if access == ("any-user",) else list(access)


def counts(session) -> dict:
    return {table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables}


def snapshot(session) -> dict:
    """Every row of every table, so an update shows as well as an insert or a delete."""
    session.expire_all()
    return {table.name: sorted(map(repr, session.execute(select(table)).all()))
            for table in Base.metadata.sorted_tables}


def send(caller, path: str, method: str, ids: dict, changes: dict):
    operation = SPEC["paths"][path][method]
    headers = {p["name"]: "hostile-table-key" for p in operation.get("parameters", []) if p["in"] == "header"}
    headers.update(changes.get("headers", {}))
    values = {name: quote(str(value), safe="") for name, value in ids.items()}
    url = path.format_map({**values, **changes.get("path", {})})
    kwargs = {"query_string": changes.get("query"), "headers": headers}
    if "json" in changes:
        kwargs["json"] = changes["json"]
    elif "data" in changes:
        kwargs.update(data=changes["data"], content_type="application/json")
    elif method in ("post", "put", "patch"):
        kwargs["json"] = {}
    return getattr(caller, method)(url, **kwargs)


PROBLEM_FOR = {400: "/problems/malformed-request", 404: "/problems/not-found", 422: "/problems/validation-error"}


def errors_match(errors: dict, wanted) -> bool:
    if isinstance(wanted, dict):
        return errors == wanted
    return wanted is None or wanted in errors


def answered(response, path: str) -> tuple:
    if path.startswith("/fhir/"):
        return response.status_code, response.mimetype, response.json.get("resourceType")
    body = response.json if response.mimetype == "application/problem+json" else {}
    return response.status_code, response.mimetype, body.get("type")


def expected(status: int, path: str) -> tuple:
    if path.startswith("/fhir/"):
        return status, "application/fhir+json", "OperationOutcome"
    return status, "application/problem+json", PROBLEM_FOR[status]


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_hostile_input_is_refused_with_one_4xx_and_changes_nothing(world, session, caplog, path, method):
    callers, ids = world
    before, rows = snapshot(session), counts(session)
    wrong = []
    for label, changes, status, errors in cases(path, method):
        for role in roles_for(path, method):
            limiter.reset()  # the login limit would answer 429 before the rule under test
            response = send(callers[role], path, method, ids, changes)
            if answered(response, path) != expected(status, path):
                wrong.append(f"{role}, {label}: {answered(response, path)}")
            elif not errors_match(response.json.get("errors", {}), errors):
                wrong.append(f"{role}, {label}: errors {response.json.get('errors')}")
            if counts(session) != rows:
                wrong.append(f"{role}, {label}: row counts changed")
                rows = counts(session)
    assert wrong == []
    assert snapshot(session) == before
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
