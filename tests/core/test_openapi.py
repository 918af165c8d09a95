"""The OpenAPI 3.1 document is generated from the schemas and covers every endpoint."""

from tests.core.test_access import endpoints
from web import BLUEPRINTS as WORKBENCH

# Pages for people, not the JSON API: the problem types' documentation (tests/core/test_problem_pages.py)
# and the workbench (tests/web), and the docs page's Swagger UI assets (tests/core/test_security_headers.py).
PAGES = {"problems.index", "problems.page", "docs_assets.asset"}
WORKBENCH_PAGES = {blueprint.name for blueprint in WORKBENCH}


def test_the_spec_is_openapi_3_1_with_bearer_auth(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Problem" in spec["components"]["schemas"]


def test_every_endpoint_is_in_the_spec(app, client):
    paths = client.get("/api/openapi.json").json["paths"]
    import re

    for rule, method, _ in endpoints(app):
        if rule.endpoint in PAGES or rule.endpoint.partition(".")[0] in WORKBENCH_PAGES:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert method.lower() in paths.get(path, {}), f"{method} {path}"


def test_protected_operations_declare_the_bearer_scheme(client):
    me = client.get("/api/openapi.json").json["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]


def test_the_docs_page_is_served(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert b"swagger" in page.data.lower()


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}
