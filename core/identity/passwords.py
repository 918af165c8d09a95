"""Password hashing with argon2id, and the rule a new password must meet."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from core.i18n import _


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["ARGON2_TIME_COST"],
                          memory_cost=config["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = {}


def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown email costs what a known one does."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password")
    verify_password(_DUMMY[key], password)


# ---- the password rule -------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of public breach corpora, as zxcvbn ships them."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_refusals(password: str, *, email: str) -> list[str]:
    """Why `password` may not be used by the account `email` (none: it may)."""
    refusals = []
    folded = password.strip().casefold()
    local_part = email.strip().casefold().partition("@")[0]
    if len(password) < MIN_PASSWORD_LENGTH:
        refusals.append(_("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if all(c.isdigit() or c.isspace() for c in password):
        refusals.append(_("Use more than digits and spaces."))
    if email.strip().casefold() in folded or (len(local_part) >= 4 and local_part in folded):
        refusals.append(_("Do not use your email address in your password."))
    if folded in _common_passwords() or "".join(folded.split()) in _common_passwords():
        refusals.append(_("This password is too common: it is among the first guessed by attackers."))
    return refusals
