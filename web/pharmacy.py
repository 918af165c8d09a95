"""The pharmacist's pages: the review queue and screen, the dispensing queue, shipping, recall look-up."""

from flask import flash, g, redirect, render_template, request, url_for

from consult import prescriptions, review
from consult.presentation import describe_prescriptions
from consult.review import REJECT_REASONS
from consult.schemas import ApproveSchema, RejectSchema
from core.db import current_session
from core.i18n import _
from shop import inventory, order_queries, orders
from shop.schemas import RecallInSchema, ShipInSchema
from web.forms import load, text_fields
from web.pages import blueprint, page, waiting_since

bp = blueprint("pharmacy", url_prefix="/pharmacy")
SEVERITY_ORDER = ("blocking", "major", "moderate", "minor")


def _worst(findings: list[dict]) -> str | None:
    severities = {f["severity"] for f in findings}
    return next((s for s in SEVERITY_ORDER if s in severities), min(severities) if severities else None)


# ---- review ----------------------------------------------------------------------------

@bp.route("/review", methods=["GET"])
@page("pharmacist")
def review_queue():
    """Prescriptions awaiting review, the longest waiting first (as the API lists them)."""
    session = current_session()
    queue = prescriptions.list_for(session=session, user=g.user, status=None, limit=100, cursor=None)
    rows = []
    for p in describe_prescriptions(session=session, prescriptions=queue.items):
        findings = [*p["safety"].get("blocking", []), *p["safety"].get("warnings", [])]
        rows.append({**p, "waiting": waiting_since(p["signed_at"]), "findings": len(findings),
                     "worst": _worst(findings)})
    return render_template("pharmacy/review_queue.html", rows=rows, more=queue.next_cursor is not None)


@bp.route("/review/<prescription_id>", methods=["GET"])
@page("pharmacist")
def review_screen(prescription_id):
    session = current_session()
    prescription = prescriptions.get(session=session, user=g.user, prescription_id=prescription_id)
    claimed = prescription.status == "pending_review" and prescription.claimed_by == g.user.id
    sheet = review.worksheet(session=session, pharmacist=g.user, prescription_id=prescription_id) if claimed else None
    return render_template("pharmacy/review.html", p=describe_prescriptions(session=session,
                                                                          prescriptions=[prescription])[0],
                           claimed=claimed, sheet=sheet, reasons=REJECT_REASONS)


@bp.route("/review/<prescription_id>/claim", methods=["POST"])
@page("pharmacist")
def claim(prescription_id):
    review.claim(session=current_session(), pharmacist=g.user, prescription_id=prescription_id)
    return redirect(url_for("pharmacy.review_screen", prescription_id=prescription_id))


@bp.route("/review/<prescription_id>/approve", methods=["POST"])
@page("pharmacist")
def approve(prescription_id):
    body = load(ApproveSchema(), text_fields(request.form, "note"))
    review.approve(session=current_session(), pharmacist=g.user, prescription_id=prescription_id,
                   note=body.get("note"))
    flash(_("Prescription approved."))
    return redirect(url_for("pharmacy.review_queue"))


@bp.route("/review/<prescription_id>/reject", methods=["POST"])
@page("pharmacist")
def reject(prescription_id):
    body = load(RejectSchema(), text_fields(request.form, "reason_code", "note"))
    review.reject(session=current_session(), pharmacist=g.user, prescription_id=prescription_id,
                  reason_code=body["reason_code"], note=body.get("note"))
    flash(_("Prescription rejected."))
    return redirect(url_for("pharmacy.review_queue"))


# ---- dispensing and shipping --------------------------------------------------------------

@bp.route("/orders", methods=["GET"])
@page("pharmacist")
def order_queue():
    """Paid orders to dispense, dispensed orders to ship: oldest first."""
    session = current_session()
    queues = {}
    for status in ("paid", "dispensed"):
        listed = order_queries.list_for(session=session, user=g.user, status=status, limit=100, cursor=None)
        queues[status] = [{**o, "waiting": waiting_since(o["paid_at"] if status == "paid" else o["dispensed_at"])}
                          for o in order_queries.describe(session=session, orders=listed.items)]
    return render_template("pharmacy/order_queue.html", queues=queues)


@bp.route("/orders/<order_id>", methods=["GET"])
@page("pharmacist")
def order(order_id):
    session = current_session()
    found = order_queries.get(session=session, user=g.user, order_id=order_id)
    return render_template("pharmacy/order.html", o=order_queries.describe(session=session, orders=[found])[0])


@bp.route("/orders/<order_id>/dispense", methods=["POST"])
@page("pharmacist")
def dispense(order_id):
    orders.dispense(session=current_session(), pharmacist=g.user, order_id=order_id)
    flash(_("Order dispensed."))
    return redirect(url_for("pharmacy.order", order_id=order_id))


@bp.route("/orders/<order_id>/ship", methods=["POST"])
@page("pharmacist")
def ship(order_id):
    body = load(ShipInSchema(), text_fields(request.form, "carrier", "tracking_number"))
    orders.ship(session=current_session(), user=g.user, order_id=order_id, **body)
    flash(_("Order shipped."))
    return redirect(url_for("pharmacy.order_queue"))


# ---- recall ------------------------------------------------------------------------------

@bp.route("/lots", methods=["GET"])
@page("pharmacist")
def lot_lookup():
    """Look a lot number up: each lot under it and the orders holding or having received its packs."""
    session = current_session()
    number = request.args.get("lot_number", "").strip()
    lots = inventory.find_by_number(session=session, lot_number=number) if number else []
    found = [{"lot": lot, "holders": inventory.holders_of(session=session, lot_id=lot.id)} for lot in lots]
    return render_template("pharmacy/lots.html", number=number, found=found, recalled=None)


@bp.route("/lots/<lot_id>/recall", methods=["POST"])
@page("pharmacist")
def recall(lot_id):
    body = load(RecallInSchema(), text_fields(request.form, "reason"))
    result = orders.recall_lot(session=current_session(), actor_id=g.user.id, lot_id=lot_id,
                               reason=body.get("reason"))
    return render_template("pharmacy/lots.html", number=result["lot"].lot_number, found=[], recalled=result)
