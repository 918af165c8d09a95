"""Every problem the app serves during the tests must be one its OpenAPI document declares for
that operation (status and slug), so the document's problem responses are checked by the whole
suite, not only by tests/core/test_openapi_contract.py. Installed on the test app (tests/conftest.py);
each test's teardown fails if a request of it served an undocumented problem."""

import re

from flask import request

from core.errors import PROBLEM_JSON

# Answered for any operation and documented as its `default` response.
ANY_OPERATION = {500, 503, 414, 431}


def install(app) -> list:
    """Watch `app`'s problem responses; returns the list undocumented ones are appended to."""
    documented, undocumented = {}, []

    @app.after_request
    def _check(response):
        if response.mimetype != PROBLEM_JSON or request.url_rule is None or response.status_code in ANY_OPERATION:
            return response
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", request.url_rule.rule)
        declared = documented.get((path, request.method))
        body = response.get_json(silent=True) or {}
        slug = str(body.get("type", "")).rsplit("/", 1)[-1]
        if declared is not None and (response.status_code, slug) not in declared:
            undocumented.append(f"{request.method} {path} answered {response.status_code} {slug}")
        return response

    spec = app.test_client().get("/api/openapi.json").json  # after the hook: no setup after a request
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                documented[(path, method.upper())] = {
                    (int(status), slug) for status, response in operation["responses"].items()
                    if status.isdigit()
                    for slug in response.get("content", {}).get(PROBLEM_JSON, {}).get("examples", {})}
    return undocumented
