"""The fixed reference: a bare WSGI hello, served by the same gunicorn configuration as rxloop, so a
scenario's cost can be read against the server itself as well as against rxloop's own /healthz."""


def app(environ, start_response):
    body = b'{"status":"ok"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
