"""One one-time code, sixteen requests at once: exactly one is accepted."""

import pyotp
import pytest

from core.identity import second_factor
from core.identity.models import User
from tests.factories.identity import make_user
from tests.races.conftest import race

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]


def test_sixteen_requests_replaying_one_code_make_exactly_one_acceptance(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        doctor, _ = make_user(session, role="doctor")
        doctor.totp_secret, doctor.totp_confirmed = pyotp.random_base32(), True
        session.commit()
        user_id, otp = doctor.id, pyotp.TOTP(doctor.totp_secret).now()
    saved = app.config["OTP_MAX_FAILURES"]
    app.config["OTP_MAX_FAILURES"] = 100  # the replays are counted; here they must not lock the factor

    def use(_i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            second_factor.accept_code(session=s, user=s.get(User, user_id), otp=otp)

    try:
        results = race(16, use)
    finally:
        app.config["OTP_MAX_FAILURES"] = saved
    assert results.count(None) == 1
    assert [r.refusal for r in results if r is not None] == [second_factor.Refusal.REPLAYED] * 15


def test_sixteen_wrong_logins_at_once_from_one_client_are_all_counted(app, committed):
    from core.identity.models import LoginThrottle

    with app.app_context(), committed.sessionmaker() as session:
        user, _ = make_user(session, role="patient")
        email, user_id = user.email, user.id
    saved = app.config["LOGIN_RATE_LIMIT"], app.config["LOGIN_MAX_FAILURES"]
    app.config["LOGIN_RATE_LIMIT"], app.config["LOGIN_MAX_FAILURES"] = "1000 per minute", 100

    def guess(_i):
        return app.test_client().post("/api/v1/auth/token", json={"email": email, "password": "a wrong guess"},
                                      environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code

    try:
        statuses = race(16, guess)
    finally:
        app.config["LOGIN_RATE_LIMIT"], app.config["LOGIN_MAX_FAILURES"] = saved
    assert statuses == [401] * 16
    with committed.sessionmaker() as session:
        assert session.get(LoginThrottle, (user_id, "203.0.113.5")).failures == 16
