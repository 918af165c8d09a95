"""A cursor is opaque: one the server did not issue is a 422 on `cursor`, whatever it holds."""

import ast
import base64
import json
from pathlib import Path

import pytest

from tests.core.test_problems import assert_problem
from tests.factories.shop import make_product

ROOT = Path(__file__).resolve().parents[2]


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


UTC_TIME = {"t": "2026-01-01T00:00:00+00:00"}
# (list, role, a well-formed value of each of its keys)
LISTS = {
    "products": ("/api/v1/products", "patient", ["Paracetamol", "prd-1"]),  # name, id: text
    "audit": ("/api/v1/audit", "admin", [7]),                                # seq: an integer
    "consultations": ("/api/v1/consultations", "patient", [UTC_TIME, "con-1"]),  # time, id
}
TAMPERED = {
    "not-base64": "!!!",
    "not-json": base64.urlsafe_b64encode(b"{nope").decode(),
    "not-utf8": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "an-object": cursor({"a": 1}),
    "unclosed-nesting": base64.urlsafe_b64encode(b"[" * 300).decode(),
}


# Wrong for any key, and wrong for a key of each kind (text, integer, time).
ANY_KEY = {"null": None, "true": True, "float": 1.5, "list": [1], "object": {"a": 1}}
FOR_KIND = {
    str: {"integer": 7, "nul": "a\x00b", "lone-surrogate": "\ud800"},
    int: {"huge": 10**30, "huge-negative": -(10**30), "text": "7"},
    dict: {"text": UTC_TIME["t"], "naive": {"t": "2026-01-01T00:00:00"}, "not-a-time": {"t": "today"},
           "beyond-utc": {"t": "0001-01-01T00:00:00+14:00"}, "extra-member": {**UTC_TIME, "x": 1}},
}


def tampered_cursors(good):
    yield from TAMPERED.items()
    yield "too-short", cursor(good[:-1])
    yield "too-long", cursor([*good, "x"])
    for i, value in enumerate(good):
        for label, wrong in {**ANY_KEY, **FOR_KIND[type(value)]}.items():
            yield f"key{i}-{label}", cursor([wrong if j == i else v for j, v in enumerate(good)])


CASES = [(name, label, value) for name, (_, _, good) in LISTS.items()
         for label, value in tampered_cursors(good)]


@pytest.mark.parametrize("name, label, value", CASES, ids=[f"{n}-{label}" for n, label, _ in CASES])
def test_a_tampered_cursor_is_a_validation_error_on_cursor(login_as, name, label, value):
    path, role, _ = LISTS[name]
    response = login_as(role).get(path, query_string={"cursor": value})
    assert_problem(response, 422, "validation-error")
    assert response.json["errors"] == {"cursor": ["Invalid cursor."]}


def test_a_cursor_the_server_issued_pages_on(login_as, session):
    for n in range(3):
        make_product(session, name=f"Cursor product {n}")
    patient = login_as("patient")
    first = patient.get("/api/v1/products?q=Cursor&limit=2").json
    second = patient.get(f"/api/v1/products?q=Cursor&limit=2&cursor={first['next_cursor']}").json
    assert [p["name"] for p in first["items"] + second["items"]] == [f"Cursor product {n}" for n in range(3)]
    assert second["next_cursor"] is None


def test_no_check_relies_on_assert_which_python_dash_O_strips():
    found = [f"{path.relative_to(ROOT)}:{node.lineno}"
             for package in ("core", "consult", "shop") for path in (ROOT / package).rglob("*.py")
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert found == []
