"""Configuration comes from the environment, with defaults that are safe only for development."""

import pytest

from core.app import create_app
from core.config import ConfigError, database_url, from_environment, validate
from tests.conftest import TEST_CONFIG


def test_production_refuses_the_development_secret_key():
    config = from_environment({"RXLOOP_ENV": "production",
                               "DATABASE_URL": "postgresql://db/rxloop"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        validate(config)


def test_production_refuses_the_embedded_database():
    config = from_environment({"RXLOOP_ENV": "production", "SECRET_KEY": "s" * 40})
    with pytest.raises(ConfigError, match="PostgreSQL"):
        validate(config)


def test_production_starts_with_a_secret_a_signing_key_data_keys_and_postgresql():
    validate(from_environment({"RXLOOP_ENV": "production", "SECRET_KEY": "s" * 40,
                               "DATABASE_URL": "postgresql://db/rxloop",
                               "AUDIT_SIGNING_KEY": TEST_CONFIG["AUDIT_SIGNING_KEY"],
                               "RXLOOP_DATA_KEYS": TEST_CONFIG["RXLOOP_DATA_KEYS"]}))


def test_production_refuses_to_start_without_an_audit_signing_key():
    config = from_environment({"RXLOOP_ENV": "production", "SECRET_KEY": "s" * 40,
                               "DATABASE_URL": "postgresql://db/rxloop"})
    with pytest.raises(ConfigError, match="AUDIT_SIGNING_KEY"):
        validate(config)


def test_production_refuses_to_turn_the_audit_log_off():
    config = from_environment({"RXLOOP_ENV": "production", "SECRET_KEY": "s" * 40,
                               "DATABASE_URL": "postgresql://db/rxloop", "AUDIT_ENABLED": "0",
                               "AUDIT_SIGNING_KEY": TEST_CONFIG["AUDIT_SIGNING_KEY"]})
    with pytest.raises(ConfigError, match="audit log cannot be turned off"):
        validate(config)


def test_the_default_database_is_a_sqlite_file_under_instance():
    assert database_url(None).startswith("sqlite:///")
    assert database_url(None).endswith("instance/rxloop.sqlite3")


def test_postgres_urls_use_psycopg_3():
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_an_unknown_policy_is_refused():
    with pytest.raises(ConfigError):
        validate(from_environment({"RXLOOP_POLICY": "xx"}))


def test_defaults():
    config = from_environment({})
    assert config["RXLOOP_POLICY"] == "cn"
    assert config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["TOKEN_TTL_SECONDS"] == 3600


def test_each_app_owns_its_database(app, tmp_path):
    engine = app.extensions["rxloop.db"].engine
    other = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}"})
    try:
        assert app.extensions["rxloop.db"].engine is engine
        assert other.extensions["rxloop.db"] is not app.extensions["rxloop.db"]
    finally:
        other.extensions["rxloop.db"].engine.dispose()
