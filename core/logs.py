"""Structured JSON logs with the request id; only fields we choose, never bodies or headers."""

import json
import logging
import re
import time
import uuid

from flask import g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Fields a log record may carry into the JSON line. Anything else (say, a patient name
# passed by mistake in `extra`) is dropped, so PHI cannot leak through a careless call.
_ALLOWED_EXTRA = ("request_id", "method", "path", "status", "duration_ms", "user_id",
                  "event", "job", "order_id", "count")


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _ALLOWED_EXTRA:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(app) -> None:
    JsonFormatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rxloop")
    logger.handlers = [handler]
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = True  # lets pytest's caplog see the records
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
                "path": request.path,  # path only: query strings may carry search terms
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "user_id": g.get("user_id"),
            },
        )
        return response
