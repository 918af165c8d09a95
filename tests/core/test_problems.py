"""Every error a client can see is RFC 9457 problem+json, and nothing is half-written."""

import logging

import pytest

from core.app import create_app
from tests.conftest import TEST_CONFIG


def assert_problem(response, status, slug):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == f"/problems/{slug}"
    assert response.json["status"] == status
    assert response.json["title"]


def test_an_unknown_path_is_a_not_found_problem(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404, "not-found")


def test_a_wrong_method_is_a_problem_that_names_the_allowed_ones(client):
    response = client.delete("/healthz")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_malformed(client):
    response = client.post("/api/v1/auth/token", data="email=a&password=b",
                           content_type="application/x-www-form-urlencoded")
    assert_problem(response, 400, "malformed-request")


def test_broken_json_is_malformed(client):
    response = client.post("/api/v1/auth/token", data='{"email": ', content_type="application/json")
    assert_problem(response, 400, "malformed-request")


def test_a_body_over_the_limit_is_too_large(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/auth/token", data=b"x" * (limit + 1), content_type="application/json")
    assert_problem(response, 413, "payload-too-large")


def test_validation_errors_map_field_paths_to_messages(client):
    response = client.post("/api/v1/auth/register", json={"email": "not-an-email", "sex": "x"})
    assert_problem(response, 422, "validation-error")
    errors = response.json["errors"]
    assert errors["email"] == ["Not a valid email address."]
    assert errors["password"] == ["Missing data for required field."]
    assert "sex" in errors


def test_nested_validation_errors_use_dotted_paths(login_as):
    patient = login_as("patient")
    response = patient.put("/api/v1/patients/me", json={"allergies": [{"substance": ""}]})
    assert_problem(response, 422, "validation-error")
    assert "allergies.0.substance" in response.json["errors"]


def test_every_response_carries_a_request_id(client):
    assert client.get("/healthz").headers["X-Request-ID"]
    assert client.get("/nope").headers["X-Request-ID"]
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id!"}).headers["X-Request-ID"] != "bad id!"


@pytest.fixture
def failing_app(database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail: postgres://user:hunter2@db")

    boom._rxloop_access = ("public",)
    yield app
    app.extensions["rxloop.db"].engine.dispose()


def test_an_unexpected_error_is_a_generic_problem_with_no_trace(failing_app, caplog):
    with caplog.at_level(logging.ERROR, logger="rxloop"):
        response = failing_app.test_client().get("/boom")
    assert_problem(response, 500, "internal-error")
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    logged = [r for r in caplog.records if r.name == "rxloop.errors"]
    assert logged and logged[0].request_id == response.headers["X-Request-ID"]


def test_a_refused_request_writes_nothing(login_as, session):
    from consult.models import Patient
    from sqlalchemy import select

    patient = login_as("patient")
    response = patient.put("/api/v1/patients/me", json={"weight_kg": 70, "pregnant": True, "sex": "male"})
    assert response.status_code == 422
    session.expire_all()
    stored = session.scalar(select(Patient).where(Patient.user_id == patient.user.id))
    assert stored.weight_kg is None
