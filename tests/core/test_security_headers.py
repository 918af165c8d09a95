"""Every response carries the headers that keep patient data and tokens out of caches, other
sites and sniffers; the docs page runs only scripts served from here."""

import re

import pytest

from core.app import create_app
from core.headers import API_CSP, DOCS_CSP, HSTS

EVERY_RESPONSE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                  "Referrer-Policy": "no-referrer"}
from tests.conftest import TEST_CONFIG


def assert_secured(response, csp=API_CSP):
    assert {name: response.headers.get(name) for name in EVERY_RESPONSE} == EVERY_RESPONSE
    assert response.headers["Content-Security-Policy"] == csp
    assert "Strict-Transport-Security" not in response.headers  # development: plain HTTP


@pytest.mark.parametrize("method, url", [
    ("GET", "/healthz"), ("GET", "/api/openapi.json"), ("GET", "/problems"), ("GET", "/api/v1/me"),
    ("GET", "/api/v1/nowhere"), ("DELETE", "/api/v1/me"), ("POST", "/api/v1/auth/token"),
])
def test_success_and_error_responses_carry_the_headers(client, method, url):
    assert_secured(client.flask.open(url, method=method))


def test_a_logged_in_answer_and_a_new_token_are_never_cached(session, login_as, client):
    patient = login_as("patient")
    assert_secured(patient.get("/api/v1/me"))
    from tests.factories.identity import PASSWORD, make_user
    make_user(session, role="patient", email="cache@example.test")
    issued = client.post("/api/v1/auth/token", json={"email": "cache@example.test", "password": PASSWORD})
    assert issued.status_code == 200
    assert_secured(issued)


def test_the_docs_page_loads_swagger_ui_from_this_server_only(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert_secured(page, csp=DOCS_CSP)
    html = page.get_data(as_text=True)
    assert "://" not in html  # no CDN, no other origin
    assert "<script>" not in html  # no inline script: the CSP forbids them
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/api/docs/assets/swagger-ui-standalone-preset.js",
                       "/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/rxloop-docs.js"]
    for url in [*scripts, "/api/docs/assets/swagger-ui.css"]:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert_secured(asset, csp=DOCS_CSP)
        asset.close()


def test_the_docs_csp_allows_no_inline_or_foreign_script():
    directives = dict(d.strip().split(" ", 1) for d in DOCS_CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"


def test_production_adds_hsts(database_url):
    app = create_app({"RXLOOP_ENV": "production", "SECRET_KEY": "a-real-secret",
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "AUDIT_SIGNING_KEY": "x" * 44, "RXLOOP_DATA_KEYS": TEST_CONFIG["RXLOOP_DATA_KEYS"]})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["Cache-Control"] == "no-store"
