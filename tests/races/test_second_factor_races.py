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
