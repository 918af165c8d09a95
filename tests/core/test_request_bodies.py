"""A request body is required exactly when its schema requires a field, in the document as in
the server: a missing body is read as `{}`, which such a schema refuses."""

from tests.core.test_problems import assert_problem


def test_the_document_requires_a_body_exactly_when_its_schema_requires_a_field(client):
    spec = client.get("/api/openapi.json").json
    schemas = spec["components"]["schemas"]
    documented, implied = {}, {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"]
                documented[f"{method} {path}"] = body.get("required", False)
                implied[f"{method} {path}"] = bool(schemas[ref.rsplit("/", 1)[1]].get("required"))
    assert documented == implied
    assert documented["post /api/v1/auth/register"] is True
    assert documented["post /api/v1/orders/{order_id}/cancel"] is False


def test_a_required_body_left_out_is_a_validation_error(client):
    response = client.post("/api/v1/auth/register")
    assert_problem(response, 422, "validation-error")
    assert set(response.json["errors"]) == {"email", "password", "full_name", "birth_date", "sex"}


def test_an_optional_body_may_be_left_out(login_as):
    response = login_as("patient").put("/api/v1/patients/me")
    assert response.status_code == 200
