"""HTTP endpoints for tokens, the current user and staff accounts."""

from flask import g
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from core.openapi import declares
from core.problems import Problem
from core.db import current_session, read_only
from core.identity import accounts
from core.identity.access import authenticated, public, requires
from core.identity.schemas import (
    AdminReasonSchema, NewUserSchema, OtpSchema, TokenRequestSchema, TokenSchema, TotpEnrolmentRequestSchema,
    TotpEnrolmentSchema, UserSchema,
)
from core.ratelimit import login_limited

blp = Blueprint("identity", __name__, url_prefix="/api/v1", description="Identity and tokens")


@blp.route("/auth/token", methods=["POST"])
@public
@login_limited()
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@declares(Problem.UNAUTHENTICATED, Problem.RATE_LIMITED)
def token(body):
    """Sign in: exchange an email and password for a bearer token.

    Send `otp` too when the account has an authenticator enrolled. Wrong credentials answer 401
    `unauthenticated`, the same whichever part was wrong; attempts are rate-limited per account and per
    client address (429 `rate-limited` with `Retry-After`). Send the token as `Authorization: Bearer …`."""
    session = current_session()
    user = accounts.authenticate(session=session, email=body["email"], password=body["password"],
                                 otp=body.get("otp"), client=get_remote_address())
    access_token, ttl = accounts.issue_token(session=session, user=user)
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": ttl,
            "user": {"id": user.id, "role": user.role}}


@blp.route("/auth/logout", methods=["POST"])
@authenticated
@blp.response(204)
def logout():
    """Sign out: revoke the presented token.

    Answers 204; the token is refused from then on."""
    accounts.revoke_token(session=current_session(), token=g.token, user=g.user)


@blp.route("/me", methods=["GET"])
@authenticated
@read_only
@blp.response(200, UserSchema)
def me():
    """Who the token belongs to.

    The signed-in user's id, email, role and name; for staff the license number and specialty, and
    whether an authenticator is enrolled."""
    return g.user


@blp.route("/me/totp", methods=["POST"])
@authenticated
@blp.arguments(TotpEnrolmentRequestSchema)
@blp.response(201, TotpEnrolmentSchema)
@declares(Problem.RATE_LIMITED)
def start_totp(body):
    """Start enrolling an authenticator app (the second factor for controlled drugs), or replace one.

    Send the password, and a current code when an authenticator is already enrolled. Returns a
    `provisioning_uri` (an `otpauth://` URI to show as a QR code); enrolment completes when
    `POST /api/v1/me/totp/confirm` receives a code from the app. A wrong password or code answers 422
    `validation-error` and counts as a wrong code: too many lock the factor (429 `rate-limited` with
    `Retry-After`)."""
    uri = accounts.start_totp_enrolment(session=current_session(), user=g.user, password=body["password"],
                                        otp=body.get("otp"))
    return {"provisioning_uri": uri}


@blp.route("/me/totp/confirm", methods=["POST"])
@authenticated
@blp.arguments(OtpSchema)
@blp.response(200, UserSchema)
@declares(Problem.RATE_LIMITED)
def confirm_totp(body):
    """Finish enrolling an authenticator app with one of its codes.

    A code that does not match answers 422 `validation-error` on `otp`; a match returns the user with
    `totp_enrolled: true`. Too many wrong codes lock the factor (429 `rate-limited` with `Retry-After`)."""
    accounts.confirm_totp_enrolment(session=current_session(), user=g.user, otp=body["otp"])
    return g.user


@blp.route("/admin/users/<user_id>/totp/reset", methods=["POST"])
@requires("admin")
@blp.arguments(AdminReasonSchema)
@blp.response(200, UserSchema)
def reset_totp(body, user_id):
    """Remove a user's authenticator (a lost phone), with the reason: audited; they enrol anew.

    Admins only. The user's secret, enrolment and second-factor lock are cleared and the reason is kept in
    the audit entry; the user then enrols a new authenticator with `POST /api/v1/me/totp` (password only).
    Returns the user, with `totp_enrolled: false`."""
    return accounts.reset_totp(session=current_session(), admin=g.user, user_id=user_id, reason=body["reason"])


@blp.route("/admin/users/<user_id>/unlock", methods=["POST"])
@requires("admin")
@blp.response(200, UserSchema)
def unlock_user(user_id):
    """Lift every lock on an account (failed logins from any client, the second factor): audited.

    Admins only. Clears the failed-login counts and locks of every client address and the second factor's
    wrong-code count and lock, so the user may sign in and sign again at once. Returns the user."""
    return accounts.unlock(session=current_session(), admin=g.user, user_id=user_id)


@blp.route("/admin/users", methods=["POST"])
@requires("admin")
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
@declares(Problem.CONFLICT)
def create_user(body):
    """Create a staff or patient account (admins).

    Doctors and pharmacists need a `license_number`, doctors a `specialty`; an email already in use
    answers 409 `conflict`."""
    return accounts.create(session=current_session(), actor_id=g.user.id, **body)
