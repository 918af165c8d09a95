"""The second factor (TOTP): a code is accepted once, wrong codes lock it, and only someone who
holds the current factor — or an admin, audited — enrols a new one.

Every check of a code goes through `accept_code`, whatever asks (login, enrolment, signing a
controlled-drug prescription), so the three share one replay rule and one failure count.
"""

import hmac
from datetime import datetime, timedelta
from enum import Enum

import pyotp
from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.db import keep_on_rollback, utcnow
from core.identity.events import IdentityEvent
from core.identity.models import User

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after now is still taken (clock drift, typing time)


class Refusal(Enum):
    WRONG = "wrong"
    REPLAYED = "replayed"
    LOCKED = "locked"


class CodeRefused(Exception):
    """The code was not accepted; `refusal` says why, `retry_after` (seconds) when locked."""

    def __init__(self, refusal: Refusal, retry_after: int | None = None):
        super().__init__(refusal.value)
        self.refusal = refusal
        self.retry_after = retry_after


def locked_for(user: User, now: datetime | None = None) -> int | None:
    """Seconds left on the user's second-factor lock, or None when it is not locked."""
    now = now or utcnow()
    if user.otp_locked_until is None or user.otp_locked_until <= now:
        return None
    return max(1, int((user.otp_locked_until - now).total_seconds()))


def matching_step(secret: str, otp: str, now: datetime) -> int | None:
    """The time-step whose code `otp` is, within the drift allowed, or None."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), otp):
            return step
    return None


def accept_code(*, session: Session, user: User, otp: str | None, secret: str | None = None) -> None:
    """Accept `otp` for `user` once, or raise CodeRefused (counted; too many lock the factor).

    `secret` is the user's enrolled one unless given (the pending one while enrolling). The
    step is claimed with a conditional UPDATE, so two requests racing with one code cannot
    both pass: the second finds the step taken.
    """
    now = utcnow()
    retry_after = locked_for(user, now)
    if retry_after is not None:
        raise CodeRefused(Refusal.LOCKED, retry_after)
    secret = secret or user.totp_secret
    step = matching_step(secret, otp, now) if secret and otp else None
    if step is None:
        count_failure(session=session, user=user)
        raise CodeRefused(Refusal.WRONG)
    claimed = session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step, otp_failures=0)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        count_failure(session=session, user=user)
        raise CodeRefused(Refusal.REPLAYED)
    set_committed_value(user, "totp_last_step", step)
    set_committed_value(user, "otp_failures", 0)


def count_failure(*, session: Session, user: User) -> None:
    """Count a wrong code (kept though the request is refused); the limit locks the factor, audited."""
    user_id = user.id

    def count(session: Session) -> None:
        config = current_app.config
        failures = session.scalar(update(User).where(User.id == user_id)
                                  .values(otp_failures=User.otp_failures + 1).returning(User.otp_failures))
        if failures is not None and failures >= config["OTP_MAX_FAILURES"]:
            session.execute(update(User).where(User.id == user_id).values(
                otp_failures=0, otp_locked_until=utcnow() + timedelta(minutes=config["OTP_LOCK_MINUTES"])))
            audit.record(session=session, actor_id=None, action=IdentityEvent.USER_OTP_LOCKED,
                         subject_type="user", subject_id=user_id, detail={"failures": failures})

    keep_on_rollback(session, count)


def start_enrolment(*, session: Session, user: User, reset: bool) -> str:
    """A new secret, unconfirmed until a code of it is accepted; the caller has checked the
    current factor (or the password, when there is none yet)."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed = False
    user.totp_last_step = None  # steps count per secret: the new one has used none
    audit.record(session=session, actor_id=user.id, action=IdentityEvent.USER_TOTP_ENROLMENT_STARTED,
                 subject_type="user", subject_id=user.id, detail={"replacing": reset})
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name="rxloop")


def reset_by_admin(*, session: Session, admin: User, user: User, reason: str) -> None:
    """An admin removes a user's factor (a lost phone): audited with its reason; the user enrols anew."""
    user.totp_secret = None
    user.totp_confirmed = False
    user.totp_last_step = None
    user.otp_failures = 0
    user.otp_locked_until = None
    audit.record(session=session, actor_id=admin.id, action=IdentityEvent.USER_TOTP_RESET,
                 subject_type="user", subject_id=user.id, detail={"reason": reason})
