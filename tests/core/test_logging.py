"""Logs are structured JSON and never carry passwords, tokens or patient data."""

import json
import logging

from core.logs import JsonFormatter


def test_no_secret_or_patient_data_reaches_the_logs(client, caplog):
    secrets_and_phi = ["Wilhelmina Quux", "1961-02-03", "s3cret-passphrase!", "Penicillin",
                       "+44 7700 900123", "Asthma"]
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/auth/register", json={
            "email": "wq@example.test", "password": "s3cret-passphrase!",
            "full_name": "Wilhelmina Quux", "birth_date": "1961-02-03", "sex": "female",
            "phone": "+44 7700 900123"})
        token = client.post("/api/v1/auth/token", json={
            "email": "wq@example.test", "password": "s3cret-passphrase!"}).json["access_token"]
        client.put("/api/v1/patients/me", headers={"Authorization": f"Bearer {token}"}, json={
            "allergies": [{"substance": "Penicillin", "reaction": "rash"}],
            "conditions": [{"code": "J45", "display": "Asthma"}]})
        client.post("/api/v1/auth/token", json={"email": "wq@example.test", "password": "wrong-guess-x"})
    secrets_and_phi.append(token)
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any('"path": "/api/v1/patients/me"' in line for line in lines)
    for value in secrets_and_phi:
        assert not [line for line in lines if value in line], value


def test_access_lines_are_json_with_request_facts(client, caplog):
    with caplog.at_level(logging.INFO, logger="rxloop.access"):
        client.get("/healthz")
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert {"request_id", "method", "path", "status", "duration_ms"} <= set(line)
    assert line["status"] == 200


def test_unknown_extra_fields_are_dropped():
    record = logging.makeLogRecord({"msg": "x", "full_name": "Some Patient", "status": 200})
    line = json.loads(JsonFormatter().format(record))
    assert "full_name" not in line and line["status"] == 200
