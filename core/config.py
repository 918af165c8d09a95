"""Settings from the environment, with safe defaults for development only."""

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-insecure-secret-key"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(env, name, default):
    value = env.get(name)
    return int(value) if value not in (None, "") else default


def database_url(raw: str | None) -> str:
    """Normalise DATABASE_URL; default is the embedded SQLite file under instance/."""
    if not raw:
        return f"sqlite:///{PROJECT_ROOT / 'instance' / 'rxloop.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def from_environment(env=None) -> dict:
    env = os.environ if env is None else env
    return {
        "RXLOOP_ENV": env.get("RXLOOP_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "DATABASE_URL": database_url(env.get("DATABASE_URL")),
        # `flask db upgrade` connects with this (the schema's owner) when set; the app with DATABASE_URL.
        "MIGRATION_DATABASE_URL": database_url(env.get("MIGRATION_DATABASE_URL")) if env.get("MIGRATION_DATABASE_URL") else "",
        # Connections per process (PostgreSQL): size them so processes × (pool + overflow)
        # stays under the server's max_connections.
        "DB_POOL_SIZE": _int(env, "DB_POOL_SIZE", 10),
        "DB_MAX_OVERFLOW": _int(env, "DB_MAX_OVERFLOW", 20),
        # Test a pooled connection before use when it idled this long (0: before every use).
        "DB_PING_IDLE_SECONDS": _int(env, "DB_PING_IDLE_SECONDS", 10),
        "RXLOOP_POLICY": env.get("RXLOOP_POLICY", "cn"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        # "stripe": checkout opens a PaymentIntent; "deferred": it does not (benchmarks, demos
        # without a provider). Either way without STRIPE_SECRET_KEY no intent is created.
        "PAYMENTS_MODE": env.get("PAYMENTS_MODE", "stripe"),
        "REDIS_URL": env.get("REDIS_URL", ""),
        # A FHIR $export runs in the web process after its response unless a worker takes it
        # (REDIS_URL set: the worker's `fhir-export` job runs pending exports).
        "FHIR_EXPORT_IN_PROCESS": env.get("FHIR_EXPORT_IN_PROCESS", "0" if env.get("REDIS_URL") else "1")
        not in ("0", "false", ""),
        # The pharmacy as FHIR's Organization/pharmacy shows it (dispenser and audit observer).
        "PHARMACY_NAME": env.get("PHARMACY_NAME", "rxloop pharmacy (development)"),
        "PHARMACY_LICENCE": env.get("PHARMACY_LICENCE", "DEV-PHARMACY-0000"),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 1024 * 1024),
        "TOKEN_TTL_SECONDS": _int(env, "TOKEN_TTL_SECONDS", 3600),
        "ORDER_TTL_MINUTES": _int(env, "ORDER_TTL_MINUTES", 30),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # argon2id; the defaults are argon2-cffi's RFC 9106 low-memory profile.
        "ARGON2_TIME_COST": _int(env, "ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _int(env, "ARGON2_MEMORY_COST", 65536),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # The audit log's Ed25519 key (PEM, or 32 bytes in base64) signs its checkpoints.
        # Development without one uses instance/audit-signing-key.pem, created on first use.
        "AUDIT_SIGNING_KEY": env.get("AUDIT_SIGNING_KEY", ""),
        # Sealing and checkpoints run in the web process after a request, at most this often,
        # unless AUDIT_SEAL_IN_PROCESS=0 (production: the worker's beat runs the same jobs).
        "AUDIT_SEAL_IN_PROCESS": env.get("AUDIT_SEAL_IN_PROCESS", "1") not in ("0", "false", ""),
        "AUDIT_SEAL_SECONDS": _int(env, "AUDIT_SEAL_SECONDS", 1),
        "AUDIT_CHECKPOINT_SECONDS": _int(env, "AUDIT_CHECKPOINT_SECONDS", 300),
        # Off only to measure what the audit log costs (the bench runs RXLOOP_ENV=bench for
        # that); refused in production.
        "AUDIT_ENABLED": env.get("AUDIT_ENABLED", "1") not in ("0", "false", ""),
    }


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the app refuses to start."""


def validate(config: dict) -> None:
    if config["RXLOOP_ENV"] == "production":
        if config["SECRET_KEY"] in ("", DEV_SECRET_KEY):
            raise ConfigError("SECRET_KEY must be set in production")
        if config["DATABASE_URL"].startswith("sqlite"):
            raise ConfigError("production runs on PostgreSQL: set DATABASE_URL")
        if not config["AUDIT_SIGNING_KEY"]:
            raise ConfigError("AUDIT_SIGNING_KEY must be set in production (an Ed25519 private key)")
        if not config["AUDIT_ENABLED"]:
            raise ConfigError("the audit log cannot be turned off in production")
    if config["RXLOOP_POLICY"] not in ("cn", "us"):
        raise ConfigError("RXLOOP_POLICY must be 'cn' or 'us'")
