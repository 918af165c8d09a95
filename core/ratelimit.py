"""Rate limits (flask-limiter): memory by default, Redis when REDIS_URL is set."""

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "rxloop")
    # A window that moves with each attempt: a fixed one would grant twice the limit across
    # the turn of a minute.
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    limiter.init_app(app)


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
