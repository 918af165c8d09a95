"""Settings from the environment, with safe defaults for development only."""

import os
from pathlib import Path

from core.encryption import keys as data_keys

DEV_SECRET_KEY = "dev-only-insecure-secret-key"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RELAXED_COOKIE_ENVS = ("development", "test")  # the only places a session cookie may go without Secure


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
        # Resolved tokens kept in each process (PostgreSQL only: revocations are pushed to every process by
        # LISTEN/NOTIFY, and while that channel is down every request asks the database), each at most
        # TOKEN_CACHE_SECONDS and never past the token's expiry, at most TOKEN_CACHE_SIZE per process.
        # On by default in production only (follow_environment): elsewhere every request reads the
        # database, so a change made by hand, or inside a transaction a test rolls back, shows at once.
        "TOKEN_CACHE": env.get("TOKEN_CACHE", "1" if env.get("RXLOOP_ENV") == "production" else "0")
        not in ("0", "false", ""),
        "TOKEN_CACHE_SECONDS": _int(env, "TOKEN_CACHE_SECONDS", 60),
        "TOKEN_CACHE_SIZE": _int(env, "TOKEN_CACHE_SIZE", 10000),
        "ORDER_TTL_MINUTES": _int(env, "ORDER_TTL_MINUTES", 30),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Reverse proxies in front that append to X-Forwarded-For (0: clients connect directly).
        # Login limits and locks are per client address: behind a proxy, without this, every
        # client would share the proxy's address — and one stranger's guesses would lock all.
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # Wrong one-time codes in a row (login, enrolment, signing) that lock a user's second factor.
        "OTP_MAX_FAILURES": _int(env, "OTP_MAX_FAILURES", 5),
        "OTP_LOCK_MINUTES": _int(env, "OTP_LOCK_MINUTES", 15),
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
        # The workbench's session cookie (web/): HttpOnly and SameSite=Lax always; Secure except
        # in development and tests, which may run on plain http (refused elsewhere).
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0" if env.get("RXLOOP_ENV", "development")
                                         in RELAXED_COOKIE_ENVS else "1") not in ("0", "false", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _int(env, "TOKEN_TTL_SECONDS", 3600),
        # The assistant (assistant/): "rules", rxloop's deterministic provider, or "openai", any
        # OpenAI-compatible chat-completions endpoint at RXLOOP_ASSISTANT_URL (key, model, timeout in seconds).
        "RXLOOP_ASSISTANT": env.get("RXLOOP_ASSISTANT", "rules"),
        "RXLOOP_ASSISTANT_URL": env.get("RXLOOP_ASSISTANT_URL", ""),
        "RXLOOP_ASSISTANT_KEY": env.get("RXLOOP_ASSISTANT_KEY", ""),
        "RXLOOP_ASSISTANT_MODEL": env.get("RXLOOP_ASSISTANT_MODEL", ""),
        "RXLOOP_ASSISTANT_TIMEOUT": float(env.get("RXLOOP_ASSISTANT_TIMEOUT") or 10),
        # The data key ring, `id:base64key,…` (32-byte keys), the first one active (core/encryption).
        # Development without one uses instance/data-keys, created on first use.
        "RXLOOP_DATA_KEYS": env.get("RXLOOP_DATA_KEYS", ""),
    }


class ConfigError(RuntimeError):
    """The configuration is unsafe or inconsistent; the app refuses to start."""


def follow_environment(values: dict, *, given: dict, env=None) -> None:
    """Settings that neither the environment nor the caller set follow RXLOOP_ENV as finally configured
    (an app made with RXLOOP_ENV=production in code gets a Secure cookie and the token cache)."""
    env = os.environ if env is None else env
    following = {"SESSION_COOKIE_SECURE": values["RXLOOP_ENV"] not in RELAXED_COOKIE_ENVS,
                 "TOKEN_CACHE": values["RXLOOP_ENV"] == "production"}
    for name, value in following.items():
        if name not in env and name not in given:
            values[name] = value


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
        if not config["RXLOOP_DATA_KEYS"]:
            raise ConfigError("RXLOOP_DATA_KEYS must be set in production (patient data is encrypted with it)")
    if not config.get("SESSION_COOKIE_SECURE", True) and config["RXLOOP_ENV"] not in RELAXED_COOKIE_ENVS:
        raise ConfigError("the session cookie must be Secure outside development and tests")
    if config.get("RXLOOP_ASSISTANT", "rules") not in ("rules", "openai"):
        raise ConfigError("RXLOOP_ASSISTANT must be 'rules' or 'openai'")
    if config.get("RXLOOP_ASSISTANT") == "openai" and not config.get("RXLOOP_ASSISTANT_URL"):
        raise ConfigError("RXLOOP_ASSISTANT=openai needs RXLOOP_ASSISTANT_URL")
    if config["RXLOOP_DATA_KEYS"]:
        try:
            data_keys.parse(config["RXLOOP_DATA_KEYS"])
        except data_keys.InvalidKeyRing as exc:
            raise ConfigError(f"RXLOOP_DATA_KEYS: {exc}") from None
    if config["TOKEN_CACHE"] not in (True, False):
        raise ConfigError("TOKEN_CACHE must be true or false")
    if not 1 <= config["TOKEN_CACHE_SECONDS"] <= 3600:
        raise ConfigError("TOKEN_CACHE_SECONDS must be between 1 and 3600")
    if config["TOKEN_CACHE_SIZE"] < 1:
        raise ConfigError("TOKEN_CACHE_SIZE must be at least 1")
    if config["RXLOOP_POLICY"] not in ("cn", "us"):
        raise ConfigError("RXLOOP_POLICY must be 'cn' or 'us'")
