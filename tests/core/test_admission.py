"""Text no column can hold and JSON nested past any schema are refused before a view runs."""

import io
import json

import pytest
from sqlalchemy import func, select

from consult.models import Consultation
from core.admission import MAX_JSON_DEPTH, UNSTORABLE_TEXT
from tests.core.test_problems import assert_problem

NUL, SURROGATE = "\x00", "\ud800"
COMPLAINT = {"chief_complaint": "a dry cough", "is_follow_up": False}


def consultations(session):
    return session.scalar(select(func.count()).select_from(Consultation))


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
def test_unstorable_text_in_a_body_field_is_a_validation_error_and_saves_nothing(login_as, session, bad):
    patient = login_as("patient")
    before = consultations(session)
    response = patient.post("/api/v1/consultations", json={**COMPLAINT, "chief_complaint": f"cough{bad}"})
    assert_problem(response, 422, "validation-error")
    assert response.json["errors"] == {"chief_complaint": [UNSTORABLE_TEXT]}
    assert consultations(session) == before


def test_unstorable_text_deep_in_a_body_names_the_field_path(login_as):
    response = login_as("patient").put("/api/v1/patients/me", json={
        "allergies": [{"substance": "penicillin"}, {"substance": f"latex{SURROGATE}"}]})
    assert_problem(response, 422, "validation-error")
    assert response.json["errors"] == {"allergies.1.substance": [UNSTORABLE_TEXT]}


def test_unstorable_text_in_a_body_key_is_a_validation_error(login_as):
    response = login_as("patient").post("/api/v1/consultations", json={**COMPLAINT, f"x{NUL}": 1})
    assert_problem(response, 422, "validation-error")
    assert response.json["errors"] == {"x\N{REPLACEMENT CHARACTER}": [UNSTORABLE_TEXT]}


@pytest.mark.parametrize("query", ["q=a%00b", "q%00=a", "cursor=%00"])
def test_a_nul_in_the_query_string_is_a_validation_error(client, query):
    assert_problem(client.get(f"/api/v1/products?{query}"), 422, "validation-error")


def test_a_nul_in_a_path_segment_is_not_found(login_as):
    assert_problem(login_as("admin").get("/api/v1/orders/ord-1%00"), 404, "not-found")


def test_a_nul_in_a_header_is_malformed(login_as):
    response = login_as("patient").get("/api/v1/cart", headers={"X-Note": "a\x00b"})
    assert_problem(response, 400, "malformed-request")


def test_a_surrogate_in_a_url_arrives_as_replacement_characters_and_is_harmless(login_as):
    # A URL carries bytes: %ED%A0%80 (a surrogate's would-be UTF-8) is no UTF-8, and werkzeug
    # decodes it as U+FFFD, text like any other. Only JSON's "\ud800" escape makes a lone one.
    caller = login_as("patient")
    assert caller.get("/api/v1/products?q=%ED%A0%80").json == {"items": [], "next_cursor": None}
    response = caller.get("/api/v1/products/prd-%ED%A0%80")
    assert_problem(response, 404, "not-found")
    assert response.json["detail"] == "No such product."


def nested(depth: int) -> str:
    """A body whose containers nest `depth` + 1 levels."""
    return '{"chief_complaint": "cough", "is_follow_up": false, "x": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1_000, 100_000])
def test_json_nested_past_the_limit_is_malformed(login_as, depth):
    response = login_as("patient").post("/api/v1/consultations", data=nested(depth),
                                        content_type="application/json")
    assert_problem(response, 400, "malformed-request")


def test_json_nested_to_the_limit_reaches_validation(login_as):
    # One level less: the body is read, and the schema refuses the unknown field.
    response = login_as("patient").post("/api/v1/consultations", data=nested(MAX_JSON_DEPTH - 1),
                                        content_type="application/json")
    assert_problem(response, 422, "validation-error")


def chunked(client, path, body: bytes):
    """A chunked request as gunicorn hands it over: no Content-Length, the input terminated."""
    return client.post(path, input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_too_large_even_for_the_webhook(app, client):
    over = b" " * app.config["MAX_CONTENT_LENGTH"] + b"{}"
    assert_problem(chunked(client, "/api/v1/payments/stripe/webhook", over), 413, "payload-too-large")


def test_a_chunked_body_is_checked_like_any_other(login_as):
    body = json.dumps({**COMPLAINT, "chief_complaint": f"cough{NUL}"}).encode()
    assert_problem(chunked(login_as("patient"), "/api/v1/consultations", body), 422, "validation-error")
