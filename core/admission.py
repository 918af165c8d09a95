"""What a request must be before any view sees it: storable text, and a JSON body that parses."""

import re

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.errors import problem
from core.i18n import _, _l
from core.problems import Problem

# Text no column can hold: PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate (JSON's
# "\ud800") has no UTF-8 encoding at all. Refused here, before a view, a query or a log line.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_TEXT = _l("Must not contain a NUL character or an unpaired UTF-16 surrogate.")
# The deepest body the API takes nests 3 levels. JSON's parser recurses once per level and
# gives up (RecursionError) near 1,000; so would anything else that walked such a body.
MAX_JSON_DEPTH = 32
TOO_DEEP = _l("The request body nests deeper than %(depth)s levels.", depth=MAX_JSON_DEPTH)
INVALID = _l("The request body or parameters are invalid.")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def _readable(text: str) -> str:
    """A name taken from the request, fit to echo in a problem body."""
    return _UNSTORABLE.sub("\N{REPLACEMENT CHARACTER}", text)


def _dotted(node) -> str:
    keys = []
    while node is not None:
        node, key = node
        keys.append(_readable(str(key)))
    return ".".join(reversed(keys))


def _flaw(document) -> tuple[str, str] | None:
    """("too-deep", "") or ("unstorable", field path) for a parsed JSON body; None if sound.

    Walks with a stack, not recursion: a deep body cannot exhaust the interpreter's stack.
    """
    stack = [(document, 1, None)]  # (value, its level, (parent node, key) or None at the top)
    while stack:
        value, level, node = stack.pop()
        if isinstance(value, (dict, list)) and level > MAX_JSON_DEPTH:
            return "too-deep", ""
        if isinstance(value, str):
            if not is_storable(value):
                return "unstorable", _dotted(node)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not is_storable(key):
                    return "unstorable", _dotted((node, key))
                stack.append((item, level + 1, (node, key)))
        elif isinstance(value, list):
            stack.extend((item, level + 1, (node, i)) for i, item in enumerate(value))
    return None


def refuse_unstorable_text():
    """Path, headers and query string carry no NUL and no lone surrogate."""
    if not is_storable(request.path):
        return problem(Problem.NOT_FOUND, _("Nothing is at this address."))
    if any("\x00" in value for value in request.headers.values()):
        # RFC 9110 §5.5: a field value containing NUL is invalid.
        return problem(Problem.MALFORMED_REQUEST, _("A header value contains a NUL character."))
    for name, value in request.args.items(multi=True):
        if not (is_storable(name) and is_storable(value)):
            return problem(Problem.VALIDATION_ERROR, str(INVALID), errors={_readable(name): [str(UNSTORABLE_TEXT)]})
    return None


def _has_body() -> bool:
    # A chunked body has no Content-Length; the WSGI server says so by Transfer-Encoding.
    return bool(request.content_length or request.headers.get("Transfer-Encoding"))


def _read_body() -> bytes:
    """The whole body, at most MAX_CONTENT_LENGTH bytes; a longer one is a 413.

    werkzeug refuses a Content-Length over the limit, but reads a chunked body (no length)
    only up to the limit and stops there without a word: the WSGI input tells what is left.
    """
    data = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(data) >= limit:
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    return data


def require_json_body():
    """A body is at most MAX_CONTENT_LENGTH bytes of JSON that parses, nests at most
    MAX_JSON_DEPTH levels and holds storable text.

    The endpoints marked `_rxloop_raw_body` (the Stripe webhook) read their exact bytes; the
    workbench's pages, marked `_rxloop_form_body`, take HTML forms, whose text is checked the same.
    """
    if request.method not in ("POST", "PUT", "PATCH") or not _has_body():
        return None
    _read_body()
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "_rxloop_raw_body", False):
        return None
    if getattr(view, "_rxloop_form_body", False):
        return _refuse_unstorable_form()
    if not request.is_json:
        return problem(Problem.MALFORMED_REQUEST, _("Send the body as application/json."))
    try:
        body = request.get_json(silent=True)  # parses the bytes _read_body cached
    except RecursionError:
        return problem(Problem.MALFORMED_REQUEST, str(TOO_DEEP))
    if body is None:
        return problem(Problem.MALFORMED_REQUEST, _("The request body is not valid JSON."))
    flaw = _flaw(body)
    if flaw is None:
        return None
    kind, path = flaw
    if kind == "too-deep":
        return problem(Problem.MALFORMED_REQUEST, str(TOO_DEEP))
    return problem(Problem.VALIDATION_ERROR, str(INVALID), errors={path or "_schema": [str(UNSTORABLE_TEXT)]})


def _refuse_unstorable_form():
    for name, value in request.form.items(multi=True):
        if not (is_storable(name) and is_storable(value)):
            return problem(Problem.VALIDATION_ERROR, INVALID, errors={_readable(name): [UNSTORABLE_TEXT]})
    return None


def register(app) -> None:
    app.before_request(refuse_unstorable_text)
    app.before_request(require_json_body)
