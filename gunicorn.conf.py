"""gunicorn for `make run` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

The request limits are set here on purpose, not left to defaults. gunicorn enforces them
while it parses, before the app: it answers a request over one with its own plain-text
400 and closes the connection (measured in docs/limits.md). Everything within them
reaches the app, which answers every refusal as problem+json.
"""

import os

bind = os.environ.get("RXLOOP_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("RXLOOP_WORKERS", "2"))
threads = 4

# The longest request line the API takes is about 1.7 KB: a 512-character cursor, a
# 100-character search (percent-encoded UTF-8: up to 900 bytes), a status and a limit,
# on a path under 80 bytes. 4094 (gunicorn's default, half its ceiling of 8190) leaves
# room for that and nothing like a megabyte of query string.
limit_request_line = 4094
# A browser sends about 15 headers, a proxy adds a few: 50 (gunicorn's default is 100).
limit_request_fields = 50
# The largest header we read is a Stripe-Signature (a few hundred bytes while a secret
# rotates) or a bearer token (under 100); 8190 matches common proxies' 8 KB buffers.
limit_request_field_size = 8190

# Nothing here uses gunicornc; without this every gunicorn on a machine would share the one
# control socket in $HOME/.gunicorn (gunicorn 27's default).
control_socket_disable = True
