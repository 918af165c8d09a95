"""A browser-like client for the workbench's pages: a cookie jar, the CSRF token of the last page."""

import contextvars
import re

import pytest

from core.ratelimit import limiter
from tests.factories.identity import PASSWORD, make_user

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient:
    """Gets pages and submits their forms as a browser would, with the token the page carried."""

    def __init__(self, flask_client, user=None):
        self.flask, self.user, self.token = flask_client, user, None

    def _request(self, method, path, **kw):
        # In a context of its own, as a server runs each request: the test's application context
        # (and its `g`, where Flask-WTF and Flask-Babel keep per-request values) stays out of it.
        return contextvars.Context().run(getattr(self.flask, method), path, **kw)

    def get(self, path, **kw):
        response = self._request("get", path, **kw)
        found = CSRF_FIELD.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def submit(self, path, data=None, *, csrf=True, **kw):
        """POST a form; the token comes from the last page fetched (or one is fetched first)."""
        if csrf and self.token is None:
            self.get("/sign-in")
        form = {**({"csrf_token": self.token} if csrf else {}), **(data or {})}
        return self._request("post", path, data=form, **kw)

    def sign_in(self, email, password=PASSWORD, otp=None):
        self.get("/sign-in")
        response = self.submit("/sign-in", {"email": email, "password": password, **({"otp": otp} if otp else {})})
        self.token = None  # signing in starts a fresh session, with a token of its own
        return response


@pytest.fixture
def pages(app, db_connection):
    """An anonymous visitor's client."""
    limiter.reset()
    return PageClient(app.test_client())


@pytest.fixture
def sign_in_as(app, session, db_connection):
    """`sign_in_as("pharmacist")` → a client signed in through the sign-in form as a fresh user."""
    limiter.reset()

    def sign_in(role: str, **fields) -> PageClient:
        with app.test_request_context():
            user, _ = make_user(session, role=role, **fields)
        client = PageClient(app.test_client(), user)
        assert client.sign_in(user.email).status_code == 302
        return client

    return sign_in


def text(response) -> str:
    return response.get_data(as_text=True)
