"""The patient's pages, read-only: my consultations, my prescriptions, my orders (checkout stays in the apps)."""

from flask import g, render_template

from consult import consultations, prescriptions
from consult.presentation import describe_prescriptions
from core.db import current_session
from shop import order_queries
from web.pages import blueprint, page

bp = blueprint("mine", url_prefix="/my")


@bp.route("/consultations", methods=["GET"])
@page("patient")
def consultations_page():
    listed = consultations.list_for(session=current_session(), user=g.user, status=None, limit=100, cursor=None)
    return render_template("mine/consultations.html", consultations=listed.items)


@bp.route("/prescriptions", methods=["GET"])
@page("patient")
def prescriptions_page():
    session = current_session()
    listed = prescriptions.list_for(session=session, user=g.user, status=None, limit=100, cursor=None)
    return render_template("mine/prescriptions.html",
                           prescriptions=describe_prescriptions(session=session, prescriptions=listed.items))


@bp.route("/orders", methods=["GET"])
@page("patient")
def orders_page():
    session = current_session()
    listed = order_queries.list_for(session=session, user=g.user, status=None, limit=100, cursor=None)
    return render_template("mine/orders.html", orders=order_queries.describe(session=session, orders=listed.items))
