"""Every endpoint declares who may call it, and the declaration is enforced."""

import re

import pytest

from core.identity.access import ACCESS_ATTRIBUTE
from core.identity.models import ROLES

# Served by flask-smorest itself: the spec and the docs page are public by design; so are the
# workbench's stylesheet and script.
DOCUMENTATION = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "web.static"}


def endpoints(app, *, pages=True):
    """Every endpoint and method with its access rule; `pages=False` leaves out the workbench's pages,
    which send anonymous visitors to sign in and answer other roles with a page (tests/web)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in DOCUMENTATION:
            continue
        if not pages and (getattr(app.view_functions[rule.endpoint], ACCESS_ATTRIBUTE, None) or ("",))[0] == "page":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, getattr(app.view_functions[rule.endpoint], ACCESS_ATTRIBUTE, None)


def test_every_endpoint_has_an_explicit_access_rule(app):
    missing = [f"{m} {r.rule}" for r, m, access in endpoints(app) if access is None]
    assert missing == []


def url_for_rule(rule):
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "does-not-exist", rule.rule)


def call(client, method, url):
    return getattr(client, method.lower())(url) if method in ("GET", "DELETE") else \
        getattr(client, method.lower())(url, json={})


def test_protected_endpoints_refuse_anonymous_callers(app, client):
    for rule, method, access in endpoints(app, pages=False):
        if access == ("public",):
            continue
        response = call(client, method, url_for_rule(rule))
        assert response.status_code == 401, f"{method} {rule.rule}"
        if rule.rule.startswith("/fhir/"):
            assert response.json["resourceType"] == "OperationOutcome"
        else:
            assert response.json["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("role", ROLES)
def test_role_guards_refuse_every_other_role(app, login_as, role):
    caller = login_as(role)
    for rule, method, access in endpoints(app, pages=False):
        if access in (("public",), ("any-user",)):
            continue
        response = call(caller, method, url_for_rule(rule))
        if role in access:
            assert response.status_code not in (401, 403), f"{role} {method} {rule.rule}"
        else:
            assert response.status_code in (403, 404), f"{role} {method} {rule.rule}"
