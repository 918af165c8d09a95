"""Accounts: create users, log in with lockout, issue, resolve and revoke bearer tokens."""

import hashlib
import secrets
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.db import add_unique, end_unit_of_work, utcnow
from core.errors import Unauthenticated, ValidationFailed
from core.identity.models import ROLES, AccessToken, User
from core.identity.passwords import burn_verification_time, hash_password, verify_password
from core.identity.events import IdentityEvent
from core.i18n import _, _l

LOGIN_REFUSED = _l("The email or password is incorrect, or the account is temporarily locked.")
MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create(*, session: Session, email: str, password: str, role: str, full_name: str,
           license_number: str | None = None, specialty: str | None = None,
           actor_id: str | None = None) -> User:
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role."), errors={"role": [_("Must be one of %(roles)s.", roles=", ".join(ROLES))]})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_("Password too short."), errors={
            "password": [_("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]})
    if role in ("doctor", "pharmacist") and not license_number:
        raise ValidationFailed(_("A license number is required."), errors={
            "license_number": [_("A doctor must have a license number.") if role == "doctor"
                               else _("A pharmacist must have a license number.")]})
    if role == "doctor" and not specialty:
        raise ValidationFailed(_("A specialty is required."), errors={
            "specialty": [_("A doctor must have a specialty.")]})
    user = User(email=normalise_email(email), password_hash=hash_password(password), role=role,
                full_name=full_name, license_number=license_number,
                specialty=specialty if role == "doctor" else None)
    # Same answer whoever asks: registration must not become an email oracle beyond
    # what a unique account needs (the owner can reset; others learn only "taken").
    add_unique(session, user, conflict=_("An account with this email already exists."))
    audit.record(session=session, actor_id=actor_id or user.id, action=IdentityEvent.USER_CREATED,
                 subject_type="user", subject_id=user.id, detail={"role": role})
    return user


def authenticate(*, session: Session, email: str, password: str, otp: str | None) -> User:
    """Check credentials. Failures are counted in their own transaction and all look alike."""
    now = utcnow()
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        burn_verification_time(password)
        raise Unauthenticated(str(LOGIN_REFUSED))
    if not user.is_active or (user.locked_until is not None and user.locked_until > now):
        burn_verification_time(password)
        raise Unauthenticated(str(LOGIN_REFUSED))
    ok = verify_password(user.password_hash, password)
    if ok and user.totp_confirmed:
        ok = bool(otp) and pyotp.TOTP(user.totp_secret).verify(otp, valid_window=1)
    if not ok:
        _count_failure(session, user)
        raise Unauthenticated(str(LOGIN_REFUSED))
    if user.failed_logins:
        user.failed_logins = 0
    return user


def _count_failure(session: Session, user: User) -> None:
    """Count a failed attempt and lock the account after too many.

    A unit of work of its own, ended before the refusal is raised: the request's unit of
    work rolls back on errors, and a brute-force attempt must still be counted.
    """
    config = current_app.config
    failures = session.scalar(
        update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    )
    if failures >= config["LOGIN_MAX_FAILURES"]:
        session.execute(update(User).where(User.id == user.id).values(
            failed_logins=0,
            locked_until=utcnow() + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])))
        audit.record(session=session, actor_id=None, action=IdentityEvent.USER_LOCKED, subject_type="user",
                     subject_id=user.id, detail={"failures": failures})
    end_unit_of_work(session)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, session: Session, user: User) -> tuple[str, int]:
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(AccessToken(token_hash=_digest(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(seconds=ttl)))
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_LOGGED_IN, subject_type="user",
                 subject_id=user.id, detail={})
    return token, ttl


def resolve_token(*, session: Session, token: str) -> User | None:
    row = session.execute(
        select(AccessToken, User).join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    access_token, user = row
    if access_token.revoked_at is not None or access_token.expires_at <= utcnow():
        return None
    if not user.is_active:
        return None
    return user


def revoke_token(*, session: Session, token: str, user: User) -> None:
    session.execute(update(AccessToken).where(AccessToken.token_hash == _digest(token))
                    .values(revoked_at=utcnow()))
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_LOGGED_OUT, subject_type="user",
                 subject_id=user.id, detail={})


def start_totp_enrolment(*, session: Session, user: User) -> str:
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed = False
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_TOTP_ENROLMENT_STARTED,
                 subject_type="user", subject_id=user.id, detail={})
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name="rxloop")


def confirm_totp_enrolment(*, session: Session, user: User, otp: str) -> None:
    if not user.totp_secret or not pyotp.TOTP(user.totp_secret).verify(otp, valid_window=1):
        raise ValidationFailed(_("The code does not match."), errors={"otp": [_("Invalid code.")]})
    user.totp_confirmed = True
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_TOTP_ENROLLED,
                 subject_type="user", subject_id=user.id, detail={})


def verify_totp(user: User, otp: str | None) -> bool:
    return bool(user.totp_confirmed and otp and pyotp.TOTP(user.totp_secret).verify(otp, valid_window=1))
