"""The request limits of gunicorn.conf.py (`make run`, production), against a real gunicorn.

gunicorn refuses a request over a limit itself, before the app, in its own words (HTML):
these tests pin what it answers, as docs/limits.md says. Within the limits the app answers,
always problem+json, and a body over MAX_CONTENT_LENGTH is a 413 chunked or not.
"""

import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from core.errors import handle_http_exception
from tests.conftest import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
CONFIG = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
MAX_CONTENT_LENGTH = 1024 * 1024  # core/config.py's default, which the server below runs with


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(host, port) of gunicorn serving wsgi:app with the project's gunicorn.conf.py."""
    folder = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = {**os.environ, "RXLOOP_BIND": f"127.0.0.1:{port}", "RXLOOP_WORKERS": "1",
           "DATABASE_URL": f"sqlite:///{folder / 'rxloop.sqlite3'}", "LOG_LEVEL": "WARNING",
           "RXLOOP_DATA_KEYS": TEST_CONFIG["RXLOOP_DATA_KEYS"]}  # no key file written into the checkout
    env.pop("MAX_CONTENT_LENGTH", None)
    with open(folder / "gunicorn.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                    "wsgi:app"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {(folder / 'gunicorn.log').read_text()[-2000:]}")
                time.sleep(0.1)  # polling readiness, bounded by the deadline
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=20)


def exchange(server, raw: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes on a fresh connection; (status, headers, body) of the answer."""
    with socket.create_connection(server, timeout=10) as connection:
        connection.sendall(raw)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < _length(reply):
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _length(reply: bytes) -> int:
    for line in reply.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def get(target: str, headers: str = "") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: rxloop\r\n{headers}Connection: close\r\n\r\n".encode()


def target_of_line_length(length: int) -> str:
    """A path and query making `GET <target> HTTP/1.1` exactly `length` bytes long."""
    prefix = "/api/v1/products?q="
    return prefix + "a" * (length - len("GET  HTTP/1.1") - len(prefix))


def test_the_limits_are_set_on_purpose():
    assert (CONFIG["limit_request_line"], CONFIG["limit_request_fields"],
            CONFIG["limit_request_field_size"]) == (4094, 50, 8190)
    bench = runpy.run_path(str(ROOT / "bench" / "gunicorn.conf.py"))
    assert {k: bench[k] for k in ("limit_request_line", "limit_request_fields", "limit_request_field_size")} == \
        {k: CONFIG[k] for k in ("limit_request_line", "limit_request_fields", "limit_request_field_size")}


def test_a_request_line_at_the_limit_reaches_the_app(server):
    status, headers, body = exchange(server, get(target_of_line_length(CONFIG["limit_request_line"])))
    assert (status, headers["content-type"]) == (422, "application/problem+json")
    assert json.loads(body)["errors"] == {"q": ["Longer than maximum length 100."]}


def test_gunicorn_answers_a_request_line_over_the_limit_with_its_own_414(server):
    status, headers, body = exchange(server, get(target_of_line_length(CONFIG["limit_request_line"] + 1)))
    assert (status, headers["content-type"], headers["connection"]) == (414, "text/html", "close")
    assert b"Request Line is too large" in body


def test_gunicorn_answers_too_many_headers_with_its_own_431(server):
    many = "".join(f"X-Header-{n}: 1\r\n" for n in range(CONFIG["limit_request_fields"]))
    status, headers, body = exchange(server, get("/healthz", many))
    assert (status, headers["content-type"]) == (431, "text/html")
    assert b"limit request headers fields" in body


def test_gunicorn_answers_a_header_over_the_size_limit_with_its_own_431(server):
    big = "X-Big: " + "v" * CONFIG["limit_request_field_size"] + "\r\n"
    status, headers, body = exchange(server, get("/healthz", big))
    assert (status, headers["content-type"]) == (431, "text/html")
    assert b"limit request headers fields size" in body


def test_gunicorn_answers_a_nul_in_a_header_with_its_own_400(server):
    status, headers, _ = exchange(server, get("/healthz", "X-Note: a\x00b\r\n"))
    assert (status, headers["content-type"]) == (400, "text/html")


def test_an_encoded_nul_in_the_path_reaches_the_app_and_is_not_found(server):
    status, headers, body = exchange(server, get("/api/v1/products/prd-1%00"))
    assert (status, headers["content-type"]) == (404, "application/problem+json")
    assert json.loads(body)["type"] == "/problems/not-found"


def chunked_post(body: bytes) -> bytes:
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                      for i in range(0, len(body), 65536))
    return (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: rxloop\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n")


def login_body_of(size: int) -> bytes:
    """A login body of exactly `size` bytes (the password is too long to be valid)."""
    frame = b'{"email": "a@example.test", "password": ""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


def test_a_chunked_body_over_the_limit_is_payload_too_large(server):
    status, headers, body = exchange(server, chunked_post(login_body_of(MAX_CONTENT_LENGTH + 1)))
    assert (status, headers["content-type"]) == (413, "application/problem+json")
    assert json.loads(body)["type"] == "/problems/payload-too-large"


def test_a_chunked_body_at_the_limit_is_read_whole(server):
    status, headers, body = exchange(server, chunked_post(login_body_of(MAX_CONTENT_LENGTH)))
    assert (status, headers["content-type"]) == (422, "application/problem+json")
    assert list(json.loads(body)["errors"]) == ["password"]


@pytest.mark.parametrize("error", [RequestURITooLarge, RequestHeaderFieldsTooLarge])
def test_werkzeugs_own_size_refusals_would_be_problems_too(app, error):
    # werkzeug raises neither under gunicorn (gunicorn answers first); were one raised, it is
    # served like every other HTTP error.
    with app.test_request_context("/api/v1/products"):
        response = handle_http_exception(error())
    assert (response.status_code, response.mimetype) == (error.code, "application/problem+json")
