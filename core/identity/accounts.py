"""Accounts: create users, log in with lockout, issue, resolve and revoke bearer tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import audit
from core.db import add_unique, keep_on_rollback, utcnow
from core.encryption.keys import current_ring
from core.errors import Conflict, DomainError, NotFound, Unauthenticated, ValidationFailed
from core.i18n import _, _l
from core.identity import revocations, second_factor, token_cache
from core.identity.models import ROLES, AccessToken, LoginThrottle, User
from core.identity.passwords import burn_verification_time, hash_password, password_refusals, verify_password
from core.identity.events import IdentityEvent
from core.problems import Problem

EMAIL_TAKEN = _l("An account with this email already exists.")
LOGIN_REFUSED = _l("The email or password is incorrect, or the account is temporarily locked.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create(*, session: Session, email: str, password: str, role: str, full_name: str,
           license_number: str | None = None, specialty: str | None = None,
           actor_id: str | None = None) -> User:
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role."), errors={"role": [_("Must be one of %(roles)s.", roles=", ".join(ROLES))]})
    refusals = password_refusals(password, email=email)
    if refusals:
        raise ValidationFailed(_("This password may not be used."), errors={"password": refusals})
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
    # The unique digest holds under one key; during a key rotation an account whose digest is
    # still under the older key is found by the lookup first.
    if find_by_email(session=session, email=user.email) is not None:
        raise Conflict(str(EMAIL_TAKEN))
    add_unique(session, user, conflict=str(EMAIL_TAKEN))
    audit.record(session=session, actor_id=actor_id or user.id, action=IdentityEvent.USER_CREATED,
                 subject_type="user", subject_id=user.id, detail={"role": role})
    return user


def find_by_email(*, session: Session, email: str) -> User | None:
    """The account with this email, found by its keyed digest (the email itself is encrypted)."""
    digests = current_ring().lookup_digests(normalise_email(email))
    return session.scalar(select(User).where(User.email_lookup.in_(digests)))


def authenticate(*, session: Session, email: str, password: str, otp: str | None, client: str) -> User:
    """Check credentials. Failures are counted (kept though the request is refused) and all look alike.

    Wrong passwords lock the account for `client` only (LoginThrottle); wrong codes lock the
    user's second factor (second_factor), which only someone holding the password reaches.
    """
    now = utcnow()
    user = find_by_email(session=session, email=email)
    if user is None or not user.is_active:
        burn_verification_time(password)
        raise Unauthenticated(str(LOGIN_REFUSED))
    throttle = session.get(LoginThrottle, (user.id, client))
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        burn_verification_time(password)
        raise Unauthenticated(str(LOGIN_REFUSED))
    if not verify_password(user.password_hash, password):
        _count_login_failure(session, user, client)
        raise Unauthenticated(str(LOGIN_REFUSED))
    if user.totp_confirmed:
        try:
            second_factor.accept_code(session=session, user=user, otp=otp)
        except second_factor.CodeRefused:
            raise Unauthenticated(str(LOGIN_REFUSED)) from None
    if throttle is not None:
        session.delete(throttle)
    return user


def _count_login_failure(session: Session, user: User, client: str) -> None:
    """Count a failed login from `client` and lock the account for that client after too many."""
    user_id = user.id

    def count(session: Session) -> None:
        config = current_app.config
        # One statement (an upsert), so two failures racing from one client both count.
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        table = LoginThrottle.__table__
        failures = session.scalar(
            insert(table).values(user_id=user_id, client=client, failures=1)
            .on_conflict_do_update(index_elements=[table.c.user_id, table.c.client],
                                   set_={"failures": table.c.failures + 1})
            .returning(table.c.failures))
        if failures >= config["LOGIN_MAX_FAILURES"]:
            session.execute(update(table).where(table.c.user_id == user_id, table.c.client == client).values(
                failures=0, locked_until=utcnow() + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])))
            audit.record(session=session, actor_id=None, action=IdentityEvent.USER_LOCKED, subject_type="user",
                         subject_id=user_id, detail={"failures": config["LOGIN_MAX_FAILURES"]})

    keep_on_rollback(session, count)


def unlock(*, session: Session, admin: User, user_id: str) -> User:
    """An admin lifts every lock on an account (logins from any client, the second factor): audited."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    session.execute(delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    user.otp_failures = 0
    user.otp_locked_until = None
    audit.record(session=session, actor_id=admin.id, action=IdentityEvent.USER_UNLOCKED, subject_type="user",
                 subject_id=user.id, detail={})
    return user


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
    """The active user of an unexpired, unrevoked token, as an instance of `session`; else None.

    On PostgreSQL the answer is kept in the process (core/identity/token_cache.py) and reused,
    without a query, until a notice says the token or its user changed."""
    digest = _digest(token)
    cache = revocations.cache_for(current_app)
    generation = None
    if cache is not None:
        cached = cache.get(digest)
        if cached is not None:
            return token_cache.attach(session, cached)
        generation = cache.generation()  # before the read: a notice after it voids the fill
    row = session.execute(
        select(AccessToken, User).join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == digest)
    ).first()
    if row is None:
        return None
    access_token, user = row
    if access_token.revoked_at is not None or access_token.expires_at <= utcnow():
        return None
    if not user.is_active:
        return None
    if cache is not None:
        cache.fill(digest, user=user, expires_at=access_token.expires_at, generation=generation)
    return user


def revoke_token(*, session: Session, token: str, user: User) -> None:
    digest = _digest(token)
    session.execute(update(AccessToken).where(AccessToken.token_hash == digest)
                    .values(revoked_at=utcnow()))
    cache = revocations.cache_for(current_app)
    if cache is not None:  # other processes learn it from the database's notice (migration 0018)
        token_cache.forget_after_commit(session, cache, digest)
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_LOGGED_OUT, subject_type="user",
                 subject_id=user.id, detail={})


def start_totp_enrolment(*, session: Session, user: User, password: str, otp: str | None) -> str:
    """A new authenticator for `user`: never on a bearer token alone. The password is re-entered,
    and a user who already has a factor proves it with a current code (a lost one is reset by an
    admin). A wrong password counts as a wrong code: a stolen token cannot guess either for long."""
    retry_after = second_factor.locked_for(user)
    if retry_after is not None:
        raise _too_many_codes(retry_after)
    if not verify_password(user.password_hash, password):
        second_factor.count_failure(session=session, user=user)
        raise ValidationFailed(_("The password or code is incorrect."),
                               errors={"password": [_("Re-enter your password to change your authenticator.")]})
    if user.totp_confirmed:
        try:
            second_factor.accept_code(session=session, user=user, otp=otp)
        except second_factor.CodeRefused as refused:
            raise _code_refusal(refused, field="otp") from None
    return second_factor.start_enrolment(session=session, user=user, reset=user.totp_confirmed)


def confirm_totp_enrolment(*, session: Session, user: User, otp: str) -> None:
    if not user.totp_secret or user.totp_confirmed:
        raise ValidationFailed(_("There is no authenticator being enrolled."),
                               errors={"otp": [_("Start the enrolment first.")]})
    try:
        second_factor.accept_code(session=session, user=user, otp=otp)
    except second_factor.CodeRefused as refused:
        raise _code_refusal(refused, field="otp") from None
    user.totp_confirmed = True
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_TOTP_ENROLLED,
                 subject_type="user", subject_id=user.id, detail={})


def reset_totp(*, session: Session, admin: User, user_id: str, reason: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    second_factor.reset_by_admin(session=session, admin=admin, user=user, reason=reason)
    return user


def check_second_factor(*, session: Session, user: User, otp: str | None) -> bool:
    """For a step that needs the second factor (signing a controlled drug): True when `otp` is a
    fresh code of the user's enrolled authenticator; a wrong or replayed code is counted, and
    a locked factor is a 429 with Retry-After."""
    if not user.totp_confirmed:
        return False
    try:
        second_factor.accept_code(session=session, user=user, otp=otp)
    except second_factor.CodeRefused as refused:
        if refused.refusal is second_factor.Refusal.LOCKED:
            raise _too_many_codes(refused.retry_after) from None
        return False
    return True


class TooManyCodes(DomainError):
    problem = Problem.RATE_LIMITED


def _too_many_codes(retry_after: int) -> TooManyCodes:
    return TooManyCodes(_("Too many wrong codes: the second factor is locked for a while."),
                        headers={"Retry-After": str(retry_after)})


def _code_refusal(refused: "second_factor.CodeRefused", *, field: str) -> DomainError:
    if refused.refusal is second_factor.Refusal.LOCKED:
        return _too_many_codes(refused.retry_after)
    message = (_("This code was already used; wait for the next one.")
               if refused.refusal is second_factor.Refusal.REPLAYED else _("The code does not match."))
    return ValidationFailed(message, errors={field: [message]})
