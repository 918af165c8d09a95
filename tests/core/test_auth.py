"""Logging in, tokens, lockout, rate limits and staff accounts."""

from datetime import timedelta

import pyotp
import pytest

from core.db import utcnow
from tests.factories.identity import PASSWORD, make_user


def register(client, email="new.patient@example.test", **overrides):
    body = {"email": email, "password": "a long passphrase", "full_name": "New Patient",
            "birth_date": "1990-04-01", "sex": "female", "phone": "+1 555 0100", **overrides}
    return client.post("/api/v1/auth/register", json=body)


def login(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password, **extra})


def test_a_patient_registers_logs_in_and_sees_themself(client):
    created = register(client)
    assert created.status_code == 201
    assert created.json["role"] == "patient"

    token = login(client, "new.patient@example.test", "a long passphrase")
    assert token.status_code == 200
    assert token.json["token_type"] == "Bearer"
    assert token.json["expires_in"] == 3600
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['access_token']}"})
    assert me.status_code == 200
    assert me.json == {**me.json, "email": "new.patient@example.test", "role": "patient",
                       "full_name": "New Patient"}


def test_registering_an_email_twice_is_a_conflict(client):
    register(client)
    again = register(client, email="NEW.patient@example.test")
    assert again.status_code == 409
    assert again.json["type"] == "/problems/conflict"


def test_a_weak_password_or_future_birth_date_is_refused(client):
    assert register(client, password="short").status_code == 422
    future = register(client, birth_date=(utcnow().date() + timedelta(days=2)).isoformat())
    assert future.status_code == 422
    assert "birth_date" in future.json["errors"]


def test_wrong_password_unknown_email_and_locked_account_look_the_same(app, session, client):
    user, _ = make_user(session, role="patient", email="known@example.test")
    wrong = login(client, "known@example.test", "not the password")
    unknown = login(client, "nobody@example.test", "not the password")
    for _ in range(4):
        login(client, "known@example.test", "not the password")
    locked = login(client, "known@example.test", PASSWORD)  # right password, locked account
    bodies = [r.json for r in (wrong, unknown, locked)]
    assert [r.status_code for r in (wrong, unknown, locked)] == [401, 401, 401]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["type"] == "/problems/unauthenticated"


def test_the_lock_lifts_after_its_time(session, client, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    make_user(session, role="patient", email="locked@example.test")
    for _ in range(5):
        assert login(client, "locked@example.test", "wrong password").status_code == 401
    assert login(client, "locked@example.test").status_code == 401
    time_machine.shift(timedelta(minutes=16))
    assert login(client, "locked@example.test").status_code == 200


def test_a_successful_login_resets_the_failure_count(session, client):
    make_user(session, role="patient", email="forgetful@example.test")
    for _ in range(4):
        login(client, "forgetful@example.test", "wrong password")
    assert login(client, "forgetful@example.test").status_code == 200
    for _ in range(4):
        login(client, "forgetful@example.test", "wrong password")
    assert login(client, "forgetful@example.test").status_code == 200


def test_a_token_expires_after_its_lifetime(session, client, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    make_user(session, role="patient", email="expiring@example.test")
    token = login(client, "expiring@example.test").json["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    time_machine.shift(timedelta(seconds=3599))
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    time_machine.shift(timedelta(seconds=2))
    expired = client.get("/api/v1/me", headers=auth)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_refused_after_logout(login_as):
    patient = login_as("patient")
    assert patient.post("/api/v1/auth/logout").status_code == 204
    assert patient.get("/api/v1/me").status_code == 401
    assert patient.post("/api/v1/auth/logout").status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token"])
def test_missing_or_bogus_tokens_are_unauthenticated(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_login_is_rate_limited_per_account(session, client):
    make_user(session, role="patient", email="target@example.test")
    statuses = [login(client, "target@example.test", "guess").status_code for _ in range(11)]
    assert statuses[-1] == 429
    limited = login(client, "target@example.test", "guess")
    assert limited.json["type"] == "/problems/rate-limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_login_is_rate_limited_per_client_address(client):
    statuses = [login(client, f"spray{i}@example.test", "guess").status_code for i in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_an_admin_creates_staff_with_licenses(login_as):
    admin = login_as("admin")
    doctor = admin.post("/api/v1/admin/users", json={
        "email": "dr.new@example.test", "password": "a long passphrase", "role": "doctor",
        "full_name": "Dr New", "license_number": "DOC-9", "specialty": "dermatology"})
    assert doctor.status_code == 201
    assert doctor.json["license_number"] == "DOC-9"
    assert doctor.json["specialty"] == "dermatology"


def test_a_doctor_needs_a_license_and_a_specialty(login_as):
    admin = login_as("admin")
    response = admin.post("/api/v1/admin/users", json={
        "email": "dr.x@example.test", "password": "a long passphrase", "role": "doctor",
        "full_name": "Dr X"})
    assert response.status_code == 422
    assert "license_number" in response.json["errors"]


def test_only_an_admin_creates_users(login_as):
    doctor = login_as("doctor")
    response = doctor.post("/api/v1/admin/users", json={
        "email": "x@example.test", "password": "a long passphrase", "role": "admin", "full_name": "X"})
    assert response.status_code == 403


def test_an_enrolled_authenticator_is_required_at_login(session, client):
    user, token = make_user(session, role="doctor", email="totp.doc@example.test")
    auth = {"Authorization": f"Bearer {token}"}
    uri = client.post("/api/v1/me/totp", json={"password": PASSWORD}, headers=auth).json["provisioning_uri"]
    secret = pyotp.parse_uri(uri).secret
    assert client.post("/api/v1/me/totp/confirm", json={"otp": "000000"}, headers=auth).status_code == 422
    confirmed = client.post("/api/v1/me/totp/confirm", json={"otp": pyotp.TOTP(secret).now()}, headers=auth)
    assert confirmed.json["totp_enrolled"] is True

    assert login(client, "totp.doc@example.test").status_code == 401
    next_step = pyotp.TOTP(secret).at(utcnow().timestamp() + 30)  # the confirmation's code was used
    assert login(client, "totp.doc@example.test", otp=next_step).status_code == 200
