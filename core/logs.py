"""Structured JSON logs with the request id; only fields we choose, never bodies, headers,
statement parameters or error messages.

Every log line of the process goes through one JSON handler on the root logger: ours, Flask's
(its own stderr handler is removed), SQLAlchemy's and any library's. What a line may carry:

- `message`: our own loggers' (`rxloop.*`) text as written; a library's only as its template,
  with its arguments filled in only when they are numbers (a library's arguments can be a
  driver's error text, and drivers quote values: `Key (email)=(…)`, `Failing row contains …`).
- fields from `extra` on an allow-list; anything else (a name passed by mistake) is dropped.
- an exception as its types and stack frames, and for a database error its SQL (placeholders,
  never values) and SQLSTATE — never its message, which quotes the values it failed on.
"""

import json
import logging
import re
import time
import traceback
import uuid

from flask import g, request
from flask.logging import default_handler

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Fields a log record may carry into the JSON line. Anything else (say, a patient name
# passed by mistake in `extra`) is dropped, so PHI cannot leak through a careless call.
_ALLOWED_EXTRA = ("request_id", "method", "path", "status", "duration_ms", "user_id",
                  "event", "job", "order_id", "count")
_OURS = "rxloop"


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _message(record),
        }
        for key in _ALLOWED_EXTRA:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = describe_exception(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False, default=str)


def _message(record) -> str:
    name = record.name or ""
    if name == _OURS or name.startswith(_OURS + "."):
        return record.getMessage()
    template = str(record.msg)
    args = record.args if isinstance(record.args, tuple) else ()
    if args and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        try:
            return template % args
        except (TypeError, ValueError):
            return template
    return template


def describe_exception(exc: BaseException) -> dict:
    """What an exception may tell the log: types, where, and a database error's statement and code."""
    chain, seen, current = [], set(), exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    described = {"types": chain, "stack": [f"{frame.filename}:{frame.lineno} in {frame.name}"
                                           for frame in traceback.extract_tb(exc.__traceback__)]}
    statement = getattr(exc, "statement", None)
    if isinstance(statement, str):
        described["statement"] = statement[:1000]  # placeholders only: the values are parameters
    original = getattr(exc, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
    if isinstance(code, str):
        described["sqlstate"] = code
    return described


class JsonHandler(logging.StreamHandler):
    """The process's one log handler (marked so a second create_app() replaces, not doubles, it)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())


def configure(app) -> None:
    JsonFormatter.converter = time.gmtime
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JsonHandler)]:
        root.removeHandler(handler)
    root.addHandler(JsonHandler())
    app.logger.removeHandler(default_handler)  # Flask's plain-text stderr handler: ours formats its lines
    app.logger.propagate = True
    logger = logging.getLogger(_OURS)
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = True  # to root's handler, and pytest's caplog
    access = logging.getLogger("rxloop.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        access.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                # The route, not the address: a query string may carry search terms, and a path
                # segment is whatever the client typed there (an id, or a name pasted by mistake).
                "path": request.url_rule.rule if request.url_rule is not None else "(no route)",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "user_id": g.get("user_id"),
            },
        )
        return response
