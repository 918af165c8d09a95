"""The doctor's pages: the consultation inbox, a consultation, the prescription form and signing."""

from flask import flash, g, redirect, render_template, request, url_for

from consult import consultations, drugs, prescriptions
from consult.models import Consultation
from consult.presentation import describe_prescriptions
from consult.policy import BASIS_KINDS
from consult.schemas import DOSE_UNITS, MessageInSchema, PrescriptionDraftSchema, SignSchema
from core.db import current_session
from core.i18n import _
from web.forms import ITEM_ROWS, load, prescription_draft, row_count, text_fields
from web.pages import blueprint, page, waiting_since

bp = blueprint("clinic", url_prefix="/clinic")


@bp.route("/consultations", methods=["GET"])
@page("doctor")
def inbox():
    """Waiting consultations (oldest first, any doctor may accept) and the doctor's own."""
    listed = consultations.list_for(session=current_session(), user=g.user, status=None, limit=100, cursor=None)
    waiting = [{"c": c, "waiting": waiting_since(c.created_at)} for c in listed.items if c.status == "waiting"]
    mine = [{"c": c, "waiting": ""} for c in listed.items if c.doctor_id == g.user.id]
    return render_template("clinic/inbox.html", waiting=waiting, mine=mine)


def _consultation_page(consultation: Consultation, **extra):
    session = current_session()
    messages, rxs = [], []
    if consultation.doctor_id == g.user.id:
        messages = consultations.messages(session=session, user=g.user, consultation_id=consultation.id,
                                          limit=100, cursor=None).items
        mine = prescriptions.list_for(session=session, user=g.user, status=None, limit=100, cursor=None).items
        rxs = describe_prescriptions(session=session, prescriptions=[p for p in mine
                                                                     if p.consultation_id == consultation.id])
    return render_template("clinic/consultation.html", c=consultation, messages=messages, prescriptions=rxs, **extra)


@bp.route("/consultations/<consultation_id>", methods=["GET"])
@page("doctor")
def consultation(consultation_id):
    return _consultation_page(consultations.get(session=current_session(), user=g.user,
                                                consultation_id=consultation_id))


@bp.route("/consultations/<consultation_id>/accept", methods=["POST"])
@page("doctor")
def accept(consultation_id):
    consultations.accept(session=current_session(), doctor=g.user, consultation_id=consultation_id)
    return redirect(url_for("clinic.consultation", consultation_id=consultation_id))


@bp.route("/consultations/<consultation_id>/messages", methods=["POST"])
@page("doctor")
def post_message(consultation_id):
    body = load(MessageInSchema(), text_fields(request.form, "body"))
    consultations.post_message(session=current_session(), user=g.user, consultation_id=consultation_id,
                               body=body["body"])
    return redirect(url_for("clinic.consultation", consultation_id=consultation_id) + "#messages")


@bp.route("/consultations/<consultation_id>/confirm/<fact>", methods=["POST"])
@page("doctor")
def confirm(consultation_id, fact):
    confirm_fact = {"guardian": consultations.confirm_guardian,
                    "prior-diagnosis": consultations.confirm_prior_diagnosis}.get(fact)
    if confirm_fact is None:
        return redirect(url_for("clinic.consultation", consultation_id=consultation_id))
    confirm_fact(session=current_session(), doctor=g.user, consultation_id=consultation_id)
    flash(_("Confirmed."))
    return redirect(url_for("clinic.consultation", consultation_id=consultation_id))


# ---- prescribing ---------------------------------------------------------------------------

def _formulary():
    """Every active drug, for the form's drug list."""
    session, found, cursor = current_session(), [], None
    while True:
        listed = drugs.search(session=session, q=None, limit=100, cursor=cursor)
        found += listed.items
        cursor = listed.next_cursor
        if cursor is None:
            return found


def _prescribe_page(consultation, *, values=None, safety=None, status=200):
    values = values or {}
    return render_template("clinic/prescribe.html", c=consultation, drugs=_formulary(), units=DOSE_UNITS, basis_kinds=BASIS_KINDS,
                           rows=row_count(values) if values else ITEM_ROWS, values=values,
                           safety=safety), status


@bp.route("/consultations/<consultation_id>/prescribe", methods=["GET"])
@page("doctor")
def prescribe(consultation_id):
    consultation = consultations.get(session=current_session(), user=g.user, consultation_id=consultation_id)
    return _prescribe_page(consultation, values=request.args)


@bp.route("/consultations/<consultation_id>/prescribe/check", methods=["POST"])
@page("doctor")
def check(consultation_id):
    """The findings these items would get, nothing saved: the form's live check posts here (and so
    does its Check button without JavaScript)."""
    session = current_session()
    consultation = consultations.get(session=session, user=g.user, consultation_id=consultation_id)
    drafted = prescription_draft(request.form)
    body = load(PrescriptionDraftSchema(only=("items", "controlled_substance_basis")),
                {k: v for k, v in drafted.items() if k != "diagnosis"})
    safety = prescriptions.screen(session=session, doctor=g.user, consultation_id=consultation_id, **body)
    return _prescribe_page(consultation, values=request.form, safety=safety)


@bp.route("/consultations/<consultation_id>/prescribe", methods=["POST"])
@page("doctor")
def draft(consultation_id):
    body = load(PrescriptionDraftSchema(), prescription_draft(request.form))
    drafted = prescriptions.create_draft(session=current_session(), doctor=g.user, consultation_id=consultation_id,
                                         **body)
    return redirect(url_for("clinic.prescription", prescription_id=drafted.id))


@bp.route("/prescriptions/<prescription_id>", methods=["GET"])
@page("doctor")
def prescription(prescription_id):
    session = current_session()
    found = prescriptions.get(session=session, user=g.user, prescription_id=prescription_id)
    return render_template("clinic/prescription.html", p=describe_prescriptions(session=session,
                                                                               prescriptions=[found])[0],
                           needs_otp=prescriptions.needs_second_factor(session=session, prescription=found))


@bp.route("/prescriptions/<prescription_id>/sign", methods=["POST"])
@page("doctor")
def sign(prescription_id):
    body = load(SignSchema(), text_fields(request.form, "otp", "override_reason"))
    signed = prescriptions.sign(session=current_session(), doctor=g.user, prescription_id=prescription_id, **body)
    flash(_("Prescription signed: it now waits for a pharmacist's review."))
    return redirect(url_for("clinic.consultation", consultation_id=signed.consultation_id))
