"""HTTP endpoints for tokens, the current user and staff accounts."""

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from core.db import current_session
from core.identity import accounts
from core.identity.access import authenticated, public, requires
from core.identity.schemas import (
    AdminReasonSchema, NewUserSchema, OtpSchema, TokenRequestSchema, TokenSchema, TotpEnrolmentRequestSchema,
    TotpEnrolmentSchema, UserSchema,
)
from core.ratelimit import account_key, limiter

blp = Blueprint("identity", __name__, url_prefix="/api/v1", description="Identity and tokens")


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/auth/token", methods=["POST"])
@public
@limiter.limit(_login_limit)
@limiter.limit(_login_limit, key_func=account_key)
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
def token(body):
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
    accounts.revoke_token(session=current_session(), token=g.token, user=g.user)


@blp.route("/me", methods=["GET"])
@authenticated
@blp.response(200, UserSchema)
def me():
    return g.user


@blp.route("/me/totp", methods=["POST"])
@authenticated
@blp.arguments(TotpEnrolmentRequestSchema)
@blp.response(201, TotpEnrolmentSchema)
def start_totp(body):
    """Start enrolling an authenticator app (the second factor for controlled drugs), or replace
    one: the password, and a current code when one is enrolled."""
    uri = accounts.start_totp_enrolment(session=current_session(), user=g.user, password=body["password"],
                                        otp=body.get("otp"))
    return {"provisioning_uri": uri}


@blp.route("/me/totp/confirm", methods=["POST"])
@authenticated
@blp.arguments(OtpSchema)
@blp.response(200, UserSchema)
def confirm_totp(body):
    accounts.confirm_totp_enrolment(session=current_session(), user=g.user, otp=body["otp"])
    return g.user


@blp.route("/admin/users/<user_id>/totp/reset", methods=["POST"])
@requires("admin")
@blp.arguments(AdminReasonSchema)
@blp.response(200, UserSchema)
def reset_totp(body, user_id):
    """Remove a user's authenticator (a lost phone), with the reason: audited; they enrol anew."""
    return accounts.reset_totp(session=current_session(), admin=g.user, user_id=user_id, reason=body["reason"])


@blp.route("/admin/users/<user_id>/unlock", methods=["POST"])
@requires("admin")
@blp.response(200, UserSchema)
def unlock_user(user_id):
    """Lift every lock on an account (failed logins from any client, the second factor): audited."""
    return accounts.unlock(session=current_session(), admin=g.user, user_id=user_id)


@blp.route("/admin/users", methods=["POST"])
@requires("admin")
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
def create_user(body):
    return accounts.create(session=current_session(), actor_id=g.user.id, **body)
