"""Only the limited routes (login) pay for the rate limiter: the others neither consult its storage
nor carry its headers."""

import re

import pytest

from core.ratelimit import limiter


@pytest.fixture
def storage_calls(monkeypatch):
    """Every call into the limiter's storage (memory in tests, Redis in production)."""
    calls = []
    storage = limiter.storage
    for name in ("incr", "get", "get_expiry", "acquire_entry", "get_moving_window", "clear", "check"):
        if hasattr(storage, name):
            original = getattr(storage, name)
            monkeypatch.setattr(storage, name, lambda *a, _name=name, _original=original, **k: (
                calls.append(_name), _original(*a, **k))[1])
    return calls


@pytest.fixture
def limiter_checks(monkeypatch):
    """Every rate-limit check the limiter makes (each starts by naming the request's endpoint)."""
    checks = []
    identify = limiter.identify_request
    monkeypatch.setattr(limiter, "identify_request", lambda: (checks.append(1), identify())[1])
    return checks


def test_an_unlimited_route_neither_consults_the_limiter_nor_carries_its_headers(client, storage_calls,
                                                                                 limiter_checks):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert [h for h, _value in response.headers.items() if h.lower().startswith(("x-ratelimit", "retry-after"))] == []
    assert storage_calls == []
    assert limiter_checks == []


def test_the_login_route_counts_the_attempt_and_says_what_is_left(client, storage_calls):
    response = client.post("/api/v1/auth/token", json={"email": "nobody@example.test", "password": "guess"})
    assert response.status_code == 401
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "9"
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert "acquire_entry" in storage_calls


def test_the_sign_in_page_is_limited_when_posted_not_when_shown(client, storage_calls):
    shown = client.get("/sign-in")
    assert shown.status_code == 200
    assert "X-RateLimit-Limit" not in shown.headers
    assert storage_calls == []
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.get_data(as_text=True)).group(1)
    posted = client.post("/sign-in", data={"csrf_token": csrf, "email": "nobody@example.test", "password": "guess"})
    assert posted.status_code == 401
    assert posted.headers["X-RateLimit-Remaining"] == "9"


def test_the_429_carries_retry_after_and_the_limit_headers(client):
    for _ in range(10):
        client.post("/api/v1/auth/token", json={"email": "nobody@example.test", "password": "guess"})
    refused = client.post("/api/v1/auth/token", json={"email": "nobody@example.test", "password": "guess"})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json["type"] == "/problems/rate-limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
