"""Sign-in and sign-out with a session cookie, the language switch, and `/`, which leads to sign-in."""

from flask import g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address

from core.db import current_session
from core.errors import Unauthenticated
from core.i18n import LANGUAGES, _
from core.identity import accounts
from core.ratelimit import login_limited
from web.pages import blueprint, home_endpoint, page, public_page, signed_in_user

bp = blueprint("web", static_folder="static", static_url_path="/workbench-static")


@bp.route("/", methods=["GET"])
@public_page
def home():
    user = signed_in_user()
    return redirect(url_for(home_endpoint(user) if user else "web.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public_page
@login_limited(methods=["POST"])
def sign_in():
    if request.method == "GET":
        return render_template("sign_in.html", email="", failed=False)
    try:
        user = accounts.authenticate(session=current_session(), email=request.form.get("email", ""),
                                     password=request.form.get("password", ""),
                                     otp=request.form.get("otp", "").strip() or None, client=get_remote_address())
    except Unauthenticated:
        # The failure is already counted in its own unit of work; this answer changes nothing.
        return render_template("sign_in.html", email=request.form.get("email", ""), failed=True), 401
    token, _ttl = accounts.issue_token(session=current_session(), user=user)
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: nothing carried over from before it
    session["token"] = token
    session.permanent = True
    if lang:
        session["lang"] = lang
    return redirect(_safe_next() or url_for(home_endpoint(user)))


def _safe_next() -> str | None:
    """Back to the page that asked for sign-in: a path on this site only."""
    target = request.args.get("next", "")
    # Not `//host` nor `/\host`, which browsers read as another site.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else None


@bp.route("/sign-out", methods=["POST"])
@page()
def sign_out():
    accounts.revoke_token(session=current_session(), token=session["token"], user=g.user)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.sign_in"))


@bp.route("/signed-in", methods=["GET"])
@page()
def signed_in():
    """The landing page of a role without pages of its own (an admin: the API's documentation)."""
    return render_template("signed_in.html")


@bp.route("/language", methods=["POST"])
@public_page
def choose_language():
    chosen = request.form.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    back = request.referrer or ""
    return redirect(back if back.startswith(request.host_url) else url_for("web.home"))
