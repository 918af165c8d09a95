"""What every workbench page shares: the signed-in user, the role guard, CSRF, refusals as pages."""

from datetime import datetime
from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect

from core.db import current_session, utcnow
from core.errors import DomainError
from core.i18n import _, _l
from core.identity.access import ACCESS_ATTRIBUTE
from core.identity.accounts import resolve_token

csrf = CSRFProtect()


def blueprint(name: str, url_prefix: str | None = None, **kwargs) -> Blueprint:
    """A blueprint of pages: forms checked for their CSRF token, refusals shown as pages."""
    pages = Blueprint(name, __name__, url_prefix=url_prefix, template_folder="templates", **kwargs)
    # CSRF is checked here, for the pages only: the JSON API authenticates with bearer tokens,
    # which a browser never sends on its own (WTF_CSRF_CHECK_DEFAULT is off: web/__init__.py).
    pages.before_request(csrf.protect)
    pages.register_error_handler(CSRFError, _csrf_refused)
    pages.register_error_handler(DomainError, _refused)
    pages.after_request(_page_headers)
    return pages


# Pages show patient data: kept out of shared caches and frames (a framed Approve button could be
# clicked by another site), and run only this site's own script and styles.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def _page_headers(response):
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def signed_in_user():
    """The user of the session cookie's token, if it is still valid (revoked on sign-out)."""
    token = session.get("token")
    if not token:
        return None
    return resolve_token(session=current_session(), token=token)


def page(*roles: str):
    """A page for signed-in users of `roles` (none: any role). Anonymous visitors are sent to sign
    in; other roles get a 403 page."""

    def decorate(func):
        @wraps(func)
        def guarded(*args, **kwargs):
            user = signed_in_user()
            if user is None:  # back here after signing in, if here is a page to look at
                return redirect(url_for("web.sign_in", next=request.path if request.method == "GET" else None))
            g.user, g.user_id = user, user.id
            if roles and user.role not in roles:
                return render_template("refused.html", title=_("Not for your role"),
                                       detail=_("This page is for another role."), errors=None), 403
            return func(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, ("page", *roles))
        guarded._rxloop_form_body = True  # HTML forms, not JSON (core/admission.py)
        return guarded

    return decorate


def public_page(func):
    setattr(func, ACCESS_ATTRIBUTE, ("public",))
    func._rxloop_form_body = True
    return func


def _refused(exc: DomainError):
    """A service's refusal, as a page with its status: the request's unit of work rolls back,
    as it does for the API."""
    return render_template("refused.html", title=exc.problem.title, detail=exc.detail, errors=exc.errors,
                           safety=exc.extra.get("safety"), back=_same_site_referrer()), exc.status


def _csrf_refused(exc: CSRFError):
    return render_template("refused.html", title=_("The form has expired"),
                           detail=_("This form was not sent from a page of this site or is too old. "
                                    "Go back, reload the page and send it again."),
                           errors=None, back=_same_site_referrer()), 400


def _same_site_referrer() -> str | None:
    referrer = request.referrer or ""
    return referrer if referrer.startswith(request.host_url) else None


def waiting_since(moment: datetime | None) -> str:
    """How long something has waited, for a queue: `2 h 05 min`, `12 min`."""
    if moment is None:
        return ""
    minutes = max(int((utcnow() - moment).total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def nav_items(user) -> list[tuple[str, str]]:
    """(endpoint, label) of the navigation for the user's role."""
    if user is None:
        return []
    return {
        "pharmacist": [("pharmacy.review_queue", _("Review queue")), ("pharmacy.order_queue", _("Dispensing")),
                       ("pharmacy.lot_lookup", _("Recall look-up"))],
        "doctor": [("clinic.inbox", _("Consultations"))],
        "patient": [("mine.consultations_page", _("My consultations")), ("mine.prescriptions_page", _("My prescriptions")),
                    ("mine.orders_page", _("My orders"))],
    }.get(user.role, [])


def home_endpoint(user) -> str:
    items = nav_items(user)
    return items[0][0] if items else "web.signed_in"


LANGUAGE_NAMES = {"en": "English", "zh": "中文"}  # each in its own language: never translated
ROLE_NAMES = {"patient": _l("patient"), "doctor": _l("doctor"), "pharmacist": _l("pharmacist"), "admin": _l("admin")}
STATUS_NAMES = {
    "waiting": _l("waiting"), "in_progress": _l("in progress"), "completed": _l("completed"),
    "cancelled": _l("cancelled"), "referred_offline": _l("referred offline"), "draft": _l("draft"),
    "pending_review": _l("awaiting review"), "approved": _l("approved"), "rejected": _l("rejected"),
    "dispensed": _l("dispensed"), "expired": _l("expired"), "pending_payment": _l("awaiting payment"),
    "paid": _l("paid"), "shipped": _l("shipped"), "delivered": _l("delivered"), "refunded": _l("refunded"),
}


def template_globals() -> dict:
    return {"current_user": g.get("user"), "nav_items": nav_items, "language_names": LANGUAGE_NAMES,
            "role_names": ROLE_NAMES, "status_names": STATUS_NAMES, "get_locale": get_locale}


def number(value) -> str:
    """2.0 → 2, 0.5 → 0.5: doses and frequencies as a prescriber writes them."""
    if value is None:
        return ""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def money(amount: int | None, currency: str = "cny") -> str:
    symbol = {"cny": "¥", "usd": "$"}.get((currency or "").lower(), "")
    return f"{symbol}{(amount or 0) / 100:.2f}" + ("" if symbol else f" {currency.upper()}")


def when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
