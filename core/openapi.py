"""The OpenAPI document as a contract a client can be generated from.

After the blueprints are registered, `complete()` gives every operation its `operationId` (the
view's name), every parameter a description, every request body and response an example, and
every operation the problems it can answer with: those its access rule and arguments imply
(401, 403, 404, 422, ...) and those its view declares with `@declares(Problem.OUT_OF_STOCK, ...)`,
each as `application/problem+json` with an example body per problem.
tests/core/test_openapi_contract.py fails on any operation or field left undocumented.
"""

import re
from datetime import date

from core.problems import Problem

PROBLEM_JSON = "application/problem+json"
PROBLEMS_ATTRIBUTE = "_rxloop_problems"
# Any operation may meet these; they are the `default` response.
SERVER_PROBLEMS = (Problem.INTERNAL_ERROR, Problem.SERVICE_UNAVAILABLE)
_BODY_PROBLEMS = (Problem.MALFORMED_REQUEST, Problem.PAYLOAD_TOO_LARGE, Problem.UNSUPPORTED_MEDIA_TYPE,
                  Problem.VALIDATION_ERROR)
_EXAMPLE_DATE = date(2026, 12, 7)


def declares(*problems: Problem):
    """The problems a view answers with beyond those its access rule and arguments imply."""
    for member in problems:
        if not isinstance(member, Problem):
            raise TypeError(f"declares() takes members of Problem, not {member!r}")

    def mark(func):
        setattr(func, PROBLEMS_ATTRIBUTE, (*getattr(func, PROBLEMS_ATTRIBUTE, ()), *problems))
        return func

    return mark


def complete(api, app, *, access_of) -> None:
    """Finish the document flask-smorest generated (see the module's docstring); `access_of(view)`
    is the view's access rule: ("public",), ("any-user",) or the roles it requires."""
    schemas = api.spec.components.schemas
    views = _views_by_operation(app)
    for path, operations in api.spec._paths.items():
        shared = operations.get("parameters", [])  # the path's own, such as {order_id}
        for parameter in shared:
            _document_parameter(parameter, schemas)
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            view = views[(path, method)]
            operation["operationId"] = _unwrapped(view).__name__
            for parameter in operation.get("parameters", []):
                _document_parameter(parameter, schemas)
            body = operation.get("requestBody")
            for media in (body or {}).get("content", {}).values():
                media.setdefault("example", example_of(media["schema"], schemas))
            for response in operation["responses"].values():
                for media in response.get("content", {}).values() if isinstance(response, dict) else ():
                    if "schema" in media:
                        media.setdefault("example", example_of(media["schema"], schemas))
            if path.startswith("/fhir/"):
                continue  # FHIR errors are OperationOutcomes (core.app documents them)
            access = access_of(view)
            problems = _implied_problems(access, [*shared, *operation.get("parameters", [])], body is not None)
            problems += [p for p in _declared(view) if p not in problems]
            _document_problems(operation, problems)


def problem_example(problem: Problem) -> dict:
    """A body of this problem as the server writes it (core.errors.problem)."""
    body = {"type": problem.type, "title": str(problem.title), "status": problem.status,
            "detail": str(problem.description)}
    if problem is Problem.VALIDATION_ERROR:
        body["errors"] = {"items.0.quantity": ["Must be greater than or equal to 1 and less than or equal to 100."]}
    elif problem is Problem.INVALID_TRANSITION:
        body.update(current_status="completed", target_status="in_progress")
    elif problem is Problem.OUT_OF_STOCK:
        body.update(product_id="prd_8c0e1d", requested=3, available=1)
    elif problem is Problem.PRESCRIPTION_REQUIRED:
        body.update(consultation_url="/api/v1/consultations")
    elif problem is Problem.POLICY_VIOLATION:
        body.update(rule="cn.child-under-6-guardian", citation="互联网诊疗管理办法（试行） 第十九条")
    elif problem is Problem.SAFETY_CHECK_FAILED:
        body["safety"] = {"blocking": [{"code": "DA", "severity": "blocking", "drugs": ["amoxicillin-500mg-cap"],
                                        "message": "Allergy to penicillin.", "rule": "DA.class",
                                        "source": "BNF: penicillins"}], "warnings": []}
    elif problem is Problem.PAYMENT_DECLINED:
        body["decline_code"] = "insufficient_funds"
    elif problem is Problem.INTERNAL_ERROR:
        body["request_id"] = "5f2b8c0e9d4a4c1b8e6f7a3d2c1b0a99"
    return body


def example_of(schema: dict, schemas: dict, _seen: tuple = ()):
    """A value valid against `schema`: the `example` a field declares, else one built from its type."""
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in _seen:
            return None
        return example_of(schemas[name], schemas, (*_seen, name))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_of(options[0], schemas, _seen)
    if "allOf" in schema:
        return example_of(schema["allOf"][0], schemas, _seen)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        # A nullable field with no example of its own is shown as null: the state of a new record.
        return {name: None if _nullable(value) and not _exemplified(value) else example_of(value, schemas, _seen)
                for name, value in properties.items()}
    if kind == "array":
        return [example_of(schema.get("items", {}), schemas, _seen)] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if schema.get("maximum", 1) >= 1 else schema.get("minimum", 0)
    if kind == "number":
        return max(schema.get("minimum", 2.5), 2.5) if schema.get("maximum", 2.5) >= 2.5 else schema["maximum"]
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string_example(schema)


def _nullable(schema: dict) -> bool:
    kinds = schema.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or any(
        option.get("type") == "null" for option in schema.get("anyOf", []))


def _exemplified(schema: dict) -> bool:
    return "example" in schema or bool(schema.get("examples"))


def _string_example(schema: dict) -> str:
    formats = {"date": _EXAMPLE_DATE.isoformat(), "date-time": f"{_EXAMPLE_DATE.isoformat()}T09:30:00+00:00",
               "email": "patient@example.com", "uuid": "0b7f6e1c-3f4a-4f0e-9d3a-2a1b5c6d7e8f",
               "uri": "https://example.com/", "url": "https://example.com/"}
    text = formats.get(schema.get("format"), "text")
    return (text * schema.get("minLength", 1))[:max(schema.get("minLength", 1), len(text))][:schema.get("maxLength", 1000)]


def _views_by_operation(app) -> dict:
    views = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            views[(path, method.lower())] = app.view_functions[rule.endpoint]
    return views


def _unwrapped(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _declared(view) -> tuple:
    found = ()
    while view is not None:
        found += tuple(p for p in getattr(view, PROBLEMS_ATTRIBUTE, ()) if p not in found)
        view = getattr(view, "__wrapped__", None)
    return found


def _implied_problems(access: tuple, parameters: list, has_body: bool) -> list:
    problems = [Problem.MALFORMED_REQUEST]  # any request: a header value holding a NUL (core.admission)
    if access != ("public",):
        problems.append(Problem.UNAUTHENTICATED)
        if access != ("any-user",):
            problems.append(Problem.FORBIDDEN)
    if any(p["in"] == "path" for p in parameters):
        problems.append(Problem.NOT_FOUND)
    if has_body:
        problems += [p for p in _BODY_PROBLEMS if p not in problems]
    elif any(p["in"] in ("query", "header") for p in parameters):
        problems.append(Problem.VALIDATION_ERROR)
    return problems


def _document_problems(operation: dict, problems: list) -> None:
    responses = operation["responses"]
    for status in [s for s in responses if s.isdigit() and int(s) >= 400]:
        del responses[status]  # flask-smorest's bare references: replaced by the problems themselves
    by_status: dict[int, list] = {}
    for problem in problems:
        by_status.setdefault(problem.status, []).append(problem)
    for status, members in sorted(by_status.items()):
        responses[str(status)] = _problem_response(" or ".join(p.title for p in members), members)
    responses["default"] = _problem_response(
        "Any other status: a failure on the server's side (nothing was saved), or a request refused before "
        "it reached the operation (414, 431: see docs/limits.md)", SERVER_PROBLEMS)


def _problem_response(description: str, problems) -> dict:
    examples = {p.slug: {"summary": p.title, "value": problem_example(p)} for p in problems}
    return {"description": description, "content": {PROBLEM_JSON: {
        "schema": {"$ref": "#/components/schemas/Problem"}, "examples": examples}}}


def _document_parameter(parameter: dict, schemas: dict) -> None:
    schema = parameter.get("schema", {})
    if "description" not in parameter:
        if "description" in schema:
            parameter["description"] = schema["description"]
        elif parameter["in"] == "path" and parameter["name"].endswith("_id"):
            thing = parameter["name"][:-3].replace("_", " ")
            parameter["description"] = f"The {thing}'s id, as the API gave it."
    parameter.setdefault("example", example_of(schema, schemas))


def describe(schema, **documented) -> None:
    """Give a schema's fields their descriptions (and examples) in the OpenAPI document.

    `describe(OrderSchema, id="The order's id.", status=("Where the order stands.", "paid"))`:
    a text, or a text and an example. A name that is no field of the schema is a mistake and raises;
    a field already described where it is declared keeps that text and takes only the example.
    """
    for name, value in documented.items():
        text, example = (value, None) if isinstance(value, str) else value
        field = schema._declared_fields.get(name)
        if field is None:
            raise ValueError(f"{schema.__name__} has no field {name!r}")
        field.metadata.setdefault("description", text)
        if example is not None:
            field.metadata["example"] = example
