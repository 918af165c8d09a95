"""The second factor holds: a code is accepted once, wrong codes lock it (audited), and a new
authenticator needs the current factor or an audited admin reset — never a bearer token alone."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from core.app import create_app
from core.audit import AuditEntry
from core.identity.events import IdentityEvent
from tests.consult.test_prescriptions_api import CODEINE_ITEM, IN_PERSON, draft_with
from tests.conftest import TEST_CONFIG
from tests.factories.identity import PASSWORD, make_user

NOW = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def enrolled(session, user) -> pyotp.TOTP:
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed = True
    session.commit()
    return pyotp.TOTP(user.totp_secret)


def code(totp, seconds_from_now=0) -> str:
    return totp.at(NOW.timestamp() + seconds_from_now)


def login(client, email, otp=None, password=PASSWORD, address="10.0.0.1"):
    body = {"email": email, "password": password, **({"otp": otp} if otp else {})}
    return client.flask.post("/api/v1/auth/token", json=body, environ_base={"REMOTE_ADDR": address})


def audited(session, action, subject_id):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                    AuditEntry.subject_id == subject_id)).all()


# ---- enrolment ---------------------------------------------------------------------------------------------------

def test_a_bearer_token_alone_cannot_enrol_an_authenticator(login_as, clock):
    doctor = login_as("doctor")
    assert doctor.post("/api/v1/me/totp", json={}).status_code == 422
    wrong = doctor.post("/api/v1/me/totp", json={"password": "a guessed password"})
    assert wrong.status_code == 422
    assert list(wrong.json["errors"]) == ["password"]
    assert doctor.post("/api/v1/me/totp", json={"password": PASSWORD}).status_code == 201


def test_replacing_an_authenticator_needs_a_current_code(session, login_as, clock):
    doctor = login_as("doctor")
    totp = enrolled(session, doctor.user)
    without_code = doctor.post("/api/v1/me/totp", json={"password": PASSWORD})
    assert without_code.status_code == 422
    assert list(without_code.json["errors"]) == ["otp"]
    replaced = doctor.post("/api/v1/me/totp", json={"password": PASSWORD, "otp": code(totp)})
    assert replaced.status_code == 201
    new = pyotp.parse_uri(replaced.json["provisioning_uri"])
    assert new.secret != totp.secret
    assert doctor.post("/api/v1/me/totp/confirm", json={"otp": code(totp, 30)}).status_code == 422  # the old app
    assert doctor.post("/api/v1/me/totp/confirm", json={"otp": new.at(NOW.timestamp())}).json["totp_enrolled"] is True


def test_an_admin_resets_a_lost_authenticator_and_it_is_audited(session, login_as, clock):
    doctor = login_as("doctor")
    enrolled(session, doctor.user)
    assert login_as("pharmacist").post(f"/api/v1/admin/users/{doctor.user.id}/totp/reset",
                                       json={"reason": "lost phone"}).status_code == 403
    admin = login_as("admin")
    reset = admin.post(f"/api/v1/admin/users/{doctor.user.id}/totp/reset", json={"reason": "lost phone, ticket 42"})
    assert reset.status_code == 200
    assert reset.json["totp_enrolled"] is False
    [entry] = audited(session, IdentityEvent.USER_TOTP_RESET, doctor.user.id)
    assert (entry.actor_id, entry.detail) == (admin.user.id, {"reason": "lost phone, ticket 42"})
    assert doctor.post("/api/v1/me/totp", json={"password": PASSWORD}).status_code == 201


# ---- replay ------------------------------------------------------------------------------------------------------

def test_a_code_is_accepted_once(session, client, clock):
    user, _ = make_user(session, role="doctor", email="once@example.test")
    totp = enrolled(session, user)
    assert login(client, "once@example.test", code(totp)).status_code == 200
    assert login(client, "once@example.test", code(totp)).status_code == 401  # replayed within its window
    clock.shift(timedelta(seconds=30))
    assert login(client, "once@example.test", code(totp)).status_code == 401  # still valid (drift), still used
    assert login(client, "once@example.test", code(totp, 30)).status_code == 200
    assert login(client, "once@example.test", code(totp, -30)).status_code == 401  # an older step, after a newer


def test_the_code_that_confirmed_an_enrolment_does_not_log_in(session, login_as, client, clock):
    doctor = login_as("doctor", email="confirmed@example.test")
    secret = pyotp.parse_uri(doctor.post("/api/v1/me/totp", json={"password": PASSWORD}).json["provisioning_uri"]).secret
    now = pyotp.TOTP(secret).at(NOW.timestamp())
    assert doctor.post("/api/v1/me/totp/confirm", json={"otp": now}).status_code == 200
    assert login(client, "confirmed@example.test", now).status_code == 401


def test_a_code_that_signed_a_controlled_drug_signs_nothing_else(session, people, us_policy, clock):
    totp = enrolled(session, people["doctor"].user)
    first = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=IN_PERSON).json["id"]
    second = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=IN_PERSON).json["id"]
    sign = {"otp": code(totp), "override_reason": "Reviewed: short course."}
    assert people["doctor"].post(f"/api/v1/prescriptions/{first}/sign", json=sign).status_code == 200
    replayed = people["doctor"].post(f"/api/v1/prescriptions/{second}/sign", json=sign)
    assert replayed.status_code == 422
    assert replayed.json["rule"] == "us.epcs-two-factor"
    fresh = {**sign, "otp": code(totp, 30)}
    clock.shift(timedelta(seconds=30))
    assert people["doctor"].post(f"/api/v1/prescriptions/{second}/sign", json=fresh).status_code == 200


@pytest.fixture
def people(login_as):
    return {"patient": login_as("patient"), "doctor": login_as("doctor")}


# ---- attempts ----------------------------------------------------------------------------------------------------

def test_wrong_codes_lock_the_factor_for_login_and_signing_with_an_audit_entry(session, people, client, us_policy,
                                                                                clock):
    doctor = people["doctor"]
    totp = enrolled(session, doctor.user)
    rx = draft_with(session, people, [CODEINE_ITEM], controlled_substance_basis=IN_PERSON).json["id"]
    sign = {"override_reason": "Reviewed: short course."}
    for wrong in ("000000", "111111", "222222"):
        assert doctor.post(f"/api/v1/prescriptions/{rx}/sign", json={**sign, "otp": wrong}).status_code == 422
    for wrong in ("333333", "444444"):
        assert login(client, doctor.user.email, wrong).status_code == 401
    assert audited(session, IdentityEvent.USER_OTP_LOCKED, doctor.user.id) != []
    locked = doctor.post(f"/api/v1/prescriptions/{rx}/sign", json={**sign, "otp": code(totp)})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 15 * 60
    assert login(client, doctor.user.email, code(totp)).status_code == 401
    assert doctor.post("/api/v1/me/totp/confirm", json={"otp": code(totp)}).status_code == 422
    clock.shift(timedelta(minutes=15, seconds=1))
    assert login(client, doctor.user.email, code(totp, 15 * 60 + 1)).status_code == 200


def test_a_stolen_token_cannot_guess_the_password_through_enrolment(session, login_as, clock):
    doctor = login_as("doctor")
    for _ in range(5):
        assert doctor.post("/api/v1/me/totp", json={"password": "guess"}).status_code == 422
    assert doctor.post("/api/v1/me/totp", json={"password": PASSWORD}).status_code == 429


# ---- logins: a lock a stranger cannot use against the owner ------------------------------------------------------

def test_a_strangers_guesses_lock_out_only_the_strangers_client(session, client, clock):
    user, _ = make_user(session, role="patient", email="owner@example.test")
    for _ in range(5):
        assert login(client, "owner@example.test", password="guess", address="203.0.113.9").status_code == 401
    assert login(client, "owner@example.test", address="203.0.113.9").status_code == 401  # locked there
    assert login(client, "owner@example.test", address="198.51.100.7").status_code == 200  # the owner's
    assert len(audited(session, IdentityEvent.USER_LOCKED, user.id)) == 1


def test_an_admin_unlocks_an_account_and_it_is_audited(session, client, login_as, clock):
    user, _ = make_user(session, role="patient", email="unlock@example.test")
    for _ in range(5):
        login(client, "unlock@example.test", password="guess")
    assert login(client, "unlock@example.test").status_code == 401
    assert login_as("doctor").post(f"/api/v1/admin/users/{user.id}/unlock").status_code == 403
    admin = login_as("admin")
    assert admin.post(f"/api/v1/admin/users/{user.id}/unlock").status_code == 200
    assert [e.actor_id for e in audited(session, IdentityEvent.USER_UNLOCKED, user.id)] == [admin.user.id]
    assert login(client, "unlock@example.test").status_code == 200


def test_behind_a_trusted_proxy_the_lock_is_per_forwarded_client(session, app, client, clock):
    proxied = create_app({**TEST_CONFIG, "DATABASE_URL": app.config["DATABASE_URL"], "TRUSTED_PROXIES": 1})
    proxied.extensions["rxloop.db"].sessionmaker.configure(**app.extensions["rxloop.db"].sessionmaker.kw)
    user, _ = make_user(session, role="patient", email="proxied@example.test")
    via_proxy = proxied.test_client()

    def login_from(forwarded_for, password=PASSWORD):
        return via_proxy.post("/api/v1/auth/token", json={"email": "proxied@example.test", "password": password},
                              headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "10.9.9.9"})

    for _ in range(5):
        assert login_from("203.0.113.9", "guess").status_code == 401
    assert login_from("203.0.113.9").status_code == 401
    assert login_from("198.51.100.7").status_code == 200  # same proxy, another client
    proxied.extensions["rxloop.db"].engine.dispose()
