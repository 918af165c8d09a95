"""Rate limits (flask-limiter): memory by default, Redis when REDIS_URL is set.

Only login is limited, so only login pays for the limiter: its decorators check their limits in
the view, and `login_limited` adds the X-RateLimit and Retry-After headers to that request's
answer alone. flask-limiter 4 hooks every request of the app (before, after and teardown; 3.x's
`auto_check=False` is gone): `init_app` takes those hooks off again.
"""

from functools import wraps

from flask import after_this_request, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

_HEADERS = "rxloop.rate_limit_headers"


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "rxloop")
    # A window that moves with each attempt: a fixed one would grant twice the limit across
    # the turn of a minute.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(funcs.get(None, ())) for funcs in hooks]
    limiter.init_app(app)
    # What init_app hooked onto every request: the check (the decorators make their own), the
    # headers (login_limited adds them where a limit was checked) and the teardown of its
    # per-request state (which lives on the request's context and goes with it).
    added = [[hook for hook in funcs.get(None, ()) if hook not in was] for funcs, was in zip(hooks, before)]
    for funcs, new in zip(hooks, added):
        for hook in new:
            funcs[None].remove(hook)
    (app.extensions[_HEADERS],) = added[1]


def login_limited(*, methods: list[str] | None = None):
    """The login rate limit (LOGIN_RATE_LIMIT) per client address and per account, for the API's
    token endpoint and the workbench's sign-in (`methods`: the methods limited; all by default).
    Too many attempts answer 429 with Retry-After; every limited answer carries X-RateLimit-*."""

    def decorate(view):
        limited = limiter.limit(login_limit, methods=methods)(
            limiter.limit(login_limit, key_func=account_key, methods=methods)(view))

        @wraps(view)
        def with_limit_headers(*args, **kwargs):
            after_this_request(current_app.extensions[_HEADERS])  # on the 429 as on any other answer
            return limited(*args, **kwargs)

        return with_limit_headers

    return decorate


def login_limit() -> str:
    """The login rate limit (LOGIN_RATE_LIMIT), for the API's token endpoint and the workbench's sign-in."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def account_key() -> str:
    """Key for login attempts at one account from one client address: a stranger's guesses
    use up only the stranger's own allowance, never the account owner's. The email comes from
    the JSON body (the API) or the form (the workbench's sign-in page)."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return f"account:{str(email or '').strip().lower()}|{get_remote_address()}"
