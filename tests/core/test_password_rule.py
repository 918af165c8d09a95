"""A new password is refused when it is short, only digits and spaces, the account's email, or
among the most common passwords of public breaches (zxcvbn's list of 30,000)."""

import pytest


def register(client, password, email="rule.person@example.test"):
    return client.post("/api/v1/auth/register", json={
        "email": email, "password": password, "full_name": "Rule Person", "birth_date": "1990-04-01",
        "sex": "female", "phone": "+1 555 0100"})


@pytest.mark.parametrize("password, reason", [
    ("short1!", "Length must be between 10 and 1024."),
    ("1234567890", "Use more than digits and spaces."),
    ("0123 4567 8901", "Use more than digits and spaces."),
    ("            ", "Use more than digits and spaces."),
    ("rule.person@example.test", "Do not use your email address in your password."),
    ("RULE.PERSON-2026!", "Do not use your email address in your password."),
    ("qwertyuiop", "This password is too common: it is among the first guessed by attackers."),
    ("Password123", "This password is too common: it is among the first guessed by attackers."),
    ("  iloveyou12 ", "This password is too common: it is among the first guessed by attackers."),
])
def test_a_weak_password_is_refused_with_its_reason(client, password, reason):
    refused = register(client, password)
    assert refused.status_code == 422
    assert refused.json["type"] == "/problems/validation-error"
    assert reason in refused.json["errors"]["password"]


def test_a_long_uncommon_password_is_taken(client):
    assert register(client, "amber kettle north 19").status_code == 201


def test_staff_accounts_meet_the_same_rule(login_as):
    refused = login_as("admin").post("/api/v1/admin/users", json={
        "email": "dr.weak@example.test", "password": "1q2w3e4r5t", "role": "doctor",
        "full_name": "Dr Weak", "license_number": "DOC-77", "specialty": "dermatology"})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["password"]
