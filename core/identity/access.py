"""The access rule every endpoint declares: @public, @authenticated or @requires(role, ...)."""

from functools import wraps

from flask import g, request

from core.db import current_session
from core.errors import Forbidden, Unauthenticated
from core.identity.accounts import resolve_token
from core.i18n import _

ACCESS_ATTRIBUTE = "_rxloop_access"
BEARER = [{"bearerAuth": []}]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _mark(func, access, secured: bool):
    setattr(func, ACCESS_ATTRIBUTE, access)
    if secured:
        # Document the bearer scheme in the OpenAPI spec (flask-smorest reads `_apidoc`).
        apidoc = dict(getattr(func, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = BEARER
        apidoc["manual_doc"] = manual
        func._apidoc = apidoc
    return func


def public(func):
    """Open to anyone; still resolves a presented token so handlers can personalise."""
    return _mark(func, ("public",), secured=False)


def requires(*roles: str):
    """Require a valid bearer token whose user has one of `roles` (none given: any role)."""

    def decorate(func):
        @wraps(func)
        def guarded(*args, **kwargs):
            token = bearer_token()
            user = resolve_token(session=current_session(), token=token) if token else None
            if user is None:
                raise Unauthenticated(_("A valid bearer token is required."),
                                      headers={"WWW-Authenticate": 'Bearer realm="rxloop"'})
            g.user, g.user_id = user, user.id
            g.token = token
            if roles and user.role not in roles:
                raise Forbidden(_("Your role may not do this."))
            return func(*args, **kwargs)

        return _mark(guarded, roles or ("any-user",), secured=True)

    return decorate


authenticated = requires()
