"""HTTP endpoints of the clinical side: thin handlers over the service functions."""

from flask import g
from flask_smorest import Blueprint

from consult import consultations, drugs, patients, prescriptions, review
from consult.presentation import describe_prescriptions
from consult.schemas import (
    AccessLogEntrySchema, ApproveSchema, CompletionSchema, ConsultationRequestSchema, ConsultationSchema, DrugQuerySchema,
    DrugSchema, MessageInSchema, MessageSchema, PatientProfileSchema,
    PrescriptionDraftSchema, PrescriptionSchema, ReasonSchema, RegistrationSchema, RejectSchema,
    SignSchema, StatusQuerySchema,
)
from core.db import current_session
from core.identity.access import authenticated, public, requires
from core.identity.schemas import UserSchema
from core.schemas import PageArgsSchema, page_of

patients_blp = Blueprint("patients", __name__, url_prefix="/api/v1", description="Patients")
formulary_blp = Blueprint("formulary", __name__, url_prefix="/api/v1", description="Formulary")
consultations_blp = Blueprint("consultations", __name__, url_prefix="/api/v1", description="Consultations")
prescriptions_blp = Blueprint("prescriptions", __name__, url_prefix="/api/v1", description="Prescriptions")


def _page(page):
    return {"items": page.items, "next_cursor": page.next_cursor}


# ---- patients ------------------------------------------------------------------------

@patients_blp.route("/auth/register", methods=["POST"])
@public
@patients_blp.arguments(RegistrationSchema)
@patients_blp.response(201, UserSchema)
def register(body):
    return patients.register(session=current_session(), **body)


@patients_blp.route("/patients/me", methods=["GET"])
@requires("patient")
@patients_blp.response(200, PatientProfileSchema)
def my_profile():
    session = current_session()
    return patients.profile(session=session, patient=patients.of_user(session=session, user=g.user))


@patients_blp.route("/patients/me", methods=["PUT"])
@requires("patient")
@patients_blp.arguments(PatientProfileSchema)
@patients_blp.response(200, PatientProfileSchema)
def update_my_profile(body):
    session = current_session()
    patient = patients.update_profile(session=session, user=g.user, changes=body)
    return patients.profile(session=session, patient=patient)


@patients_blp.route("/patients/me/access-log", methods=["GET"])
@requires("patient")
@patients_blp.arguments(PageArgsSchema, location="query")
@patients_blp.response(200, page_of(AccessLogEntrySchema, "AccessLogPage"))
def my_access_log(args):
    """Who read your records (doctors, pharmacists, admins) or tried to, newest first."""
    return _page(patients.access_log(session=current_session(), user=g.user, **args))


@patients_blp.route("/patients/<patient_id>", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@patients_blp.response(200, PatientProfileSchema)
def patient_record(patient_id):
    session = current_session()
    patient = patients.read_record(session=session, user=g.user, patient_id=patient_id)
    return patients.profile(session=session, patient=patient)


# ---- formulary -----------------------------------------------------------------------

@formulary_blp.route("/drugs", methods=["GET"])
@authenticated
@formulary_blp.arguments(DrugQuerySchema, location="query")
@formulary_blp.response(200, page_of(DrugSchema, "DrugPage"))
def search_drugs(args):
    return _page(drugs.search(session=current_session(), **args))


@formulary_blp.route("/drugs/<drug_id>", methods=["GET"])
@authenticated
@formulary_blp.response(200, DrugSchema)
def get_drug(drug_id):
    return drugs.get(session=current_session(), drug_id=drug_id)


# ---- consultations -------------------------------------------------------------------

@consultations_blp.route("/consultations", methods=["POST"])
@requires("patient")
@consultations_blp.arguments(ConsultationRequestSchema)
@consultations_blp.response(201, ConsultationSchema)
def create_consultation(body):
    return consultations.create(session=current_session(), user=g.user, **body)


@consultations_blp.route("/consultations", methods=["GET"])
@requires("patient", "doctor", "admin")
@consultations_blp.arguments(StatusQuerySchema, location="query")
@consultations_blp.response(200, page_of(ConsultationSchema, "ConsultationPage"))
def list_consultations(args):
    return _page(consultations.list_for(session=current_session(), user=g.user, **args))


@consultations_blp.route("/consultations/<consultation_id>", methods=["GET"])
@requires("patient", "doctor", "admin")
@consultations_blp.response(200, ConsultationSchema)
def get_consultation(consultation_id):
    return consultations.get(session=current_session(), user=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/accept", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
def accept_consultation(consultation_id):
    return consultations.accept(session=current_session(), doctor=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/guardian/confirm", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
def confirm_guardian(consultation_id):
    return consultations.confirm_guardian(session=current_session(), doctor=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/prior-diagnosis/confirm", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
def confirm_prior_diagnosis(consultation_id):
    return consultations.confirm_prior_diagnosis(session=current_session(), doctor=g.user,
                                                 consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/messages", methods=["GET"])
@requires("patient", "doctor")
@consultations_blp.arguments(PageArgsSchema, location="query")
@consultations_blp.response(200, page_of(MessageSchema, "MessagePage"))
def list_messages(args, consultation_id):
    return _page(consultations.messages(session=current_session(), user=g.user,
                                        consultation_id=consultation_id, **args))


@consultations_blp.route("/consultations/<consultation_id>/messages", methods=["POST"])
@requires("patient", "doctor")
@consultations_blp.arguments(MessageInSchema)
@consultations_blp.response(201, MessageSchema)
def post_message(body, consultation_id):
    return consultations.post_message(session=current_session(), user=g.user,
                                      consultation_id=consultation_id, body=body["body"])


@consultations_blp.route("/consultations/<consultation_id>/complete", methods=["POST"])
@requires("doctor")
@consultations_blp.arguments(CompletionSchema)
@consultations_blp.response(200, ConsultationSchema)
def complete_consultation(body, consultation_id):
    return consultations.complete(session=current_session(), doctor=g.user, consultation_id=consultation_id,
                                  diagnosis=body["diagnosis"], notes=body.get("notes"))


@consultations_blp.route("/consultations/<consultation_id>/cancel", methods=["POST"])
@requires("patient", "doctor")
@consultations_blp.arguments(ReasonSchema)
@consultations_blp.response(200, ConsultationSchema)
def cancel_consultation(body, consultation_id):
    return consultations.cancel(session=current_session(), user=g.user, consultation_id=consultation_id,
                                reason=body.get("reason"))


# ---- prescriptions -------------------------------------------------------------------

def _one(prescription):
    return describe_prescriptions(session=current_session(), prescriptions=[prescription])[0]


@prescriptions_blp.route("/consultations/<consultation_id>/prescriptions", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(PrescriptionDraftSchema)
@prescriptions_blp.response(201, PrescriptionSchema)
def draft_prescription(body, consultation_id):
    return _one(prescriptions.create_draft(session=current_session(), doctor=g.user,
                                           consultation_id=consultation_id, **body))


@prescriptions_blp.route("/prescriptions/<prescription_id>/sign", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(SignSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
def sign_prescription(body, prescription_id):
    return _one(prescriptions.sign(session=current_session(), doctor=g.user,
                                   prescription_id=prescription_id, **body))


@prescriptions_blp.route("/prescriptions", methods=["GET"])
@requires("patient", "doctor", "pharmacist", "admin")
@prescriptions_blp.arguments(StatusQuerySchema, location="query")
@prescriptions_blp.response(200, page_of(PrescriptionSchema, "PrescriptionPage"))
def list_prescriptions(args):
    session = current_session()
    page = prescriptions.list_for(session=session, user=g.user, **args)
    return {"items": describe_prescriptions(session=session, prescriptions=page.items),
            "next_cursor": page.next_cursor}


@prescriptions_blp.route("/prescriptions/<prescription_id>", methods=["GET"])
@requires("patient", "doctor", "pharmacist", "admin")
@prescriptions_blp.response(200, PrescriptionSchema)
def get_prescription(prescription_id):
    return _one(prescriptions.get(session=current_session(), user=g.user, prescription_id=prescription_id))


@prescriptions_blp.route("/prescriptions/<prescription_id>/claim", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.response(200, PrescriptionSchema)
def claim_prescription(prescription_id):
    return _one(review.claim(session=current_session(), pharmacist=g.user,
                             prescription_id=prescription_id))


@prescriptions_blp.route("/prescriptions/<prescription_id>/approve", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.arguments(ApproveSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
def approve_prescription(body, prescription_id):
    return _one(review.approve(session=current_session(), pharmacist=g.user,
                               prescription_id=prescription_id, note=body.get("note")))


@prescriptions_blp.route("/prescriptions/<prescription_id>/reject", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.arguments(RejectSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
def reject_prescription(body, prescription_id):
    return _one(review.reject(session=current_session(), pharmacist=g.user,
                              prescription_id=prescription_id, reason_code=body["reason_code"],
                              note=body.get("note")))


@prescriptions_blp.route("/prescriptions/<prescription_id>/cancel", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(ReasonSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
def cancel_prescription(body, prescription_id):
    return _one(prescriptions.cancel(session=current_session(), doctor=g.user,
                                     prescription_id=prescription_id, reason=body.get("reason")))


blueprints = [patients_blp, formulary_blp, consultations_blp, prescriptions_blp]
