"""HTTP endpoints of the clinical side: thin handlers over the service functions."""

from flask import g
from flask_smorest import Blueprint

from consult import consultations, drugs, patients, prescriptions, review, schema_docs  # noqa: F401 (schema_docs: the fields' descriptions)
from consult.presentation import describe_prescriptions
from consult.schemas import (
    AccessLogEntrySchema, ApproveSchema, CompletionSchema, ConsultationRequestSchema, ConsultationSchema, DrugQuerySchema,
    DrugSchema, MessageInSchema, MessageSchema, PatientProfileSchema,
    PrescriptionDraftSchema, PrescriptionSchema, ReasonSchema, RegistrationSchema, RejectSchema,
    SignSchema, StatusQuerySchema,
)
from core.openapi import declares
from core.problems import Problem
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
@declares(Problem.CONFLICT)
def register(body):
    """Sign up as a patient.

    Creates the account and its patient record; sign in with `POST /api/v1/auth/token` afterwards.
    An email already in use answers 409 `conflict`."""
    return patients.register(session=current_session(), **body)


@patients_blp.route("/patients/me", methods=["GET"])
@requires("patient")
@patients_blp.response(200, PatientProfileSchema)
def my_profile():
    """Read your own patient record.

    Allergies, conditions, current medicines, pregnancy, weight, kidney function and genotypes: what
    the safety checks read when a doctor prescribes for you."""
    session = current_session()
    return patients.profile(session=session, patient=patients.of_user(session=session, user=g.user))


@patients_blp.route("/patients/me", methods=["PUT"])
@requires("patient")
@patients_blp.arguments(PatientProfileSchema)
@patients_blp.response(200, PatientProfileSchema)
def update_my_profile(body):
    """Update your own patient record.

    Send only the fields to change; a list (allergies, conditions, ...) replaces the one recorded.
    Returns the whole record."""
    session = current_session()
    patient = patients.update_profile(session=session, user=g.user, changes=body)
    return patients.profile(session=session, patient=patient)


@patients_blp.route("/patients/me/access-log", methods=["GET"])
@requires("patient")
@patients_blp.arguments(PageArgsSchema, location="query")
@patients_blp.response(200, page_of(AccessLogEntrySchema, "AccessLogPage"))
def my_access_log(args):
    """Who read your records (or tried), newest first.

    Every read by doctors, pharmacists and admins of your orders, prescriptions, consultations,
    messages, record and FHIR resources, and anyone's refused attempt, from the audit log."""
    return _page(patients.access_log(session=current_session(), user=g.user, **args))


@patients_blp.route("/patients/<patient_id>", methods=["GET"])
@requires("doctor", "pharmacist", "admin")
@patients_blp.response(200, PatientProfileSchema)
def patient_record(patient_id):
    """Read a patient's record (staff).

    For a doctor in an open consultation with the patient, a pharmacist reviewing one of their
    prescriptions, or an admin; anyone else gets 404 `not-found`. Every read is written to the audit log."""
    session = current_session()
    patient = patients.read_record(session=session, user=g.user, patient_id=patient_id)
    return patients.profile(session=session, patient=patient)


# ---- formulary -----------------------------------------------------------------------

@formulary_blp.route("/drugs", methods=["GET"])
@authenticated
@formulary_blp.arguments(DrugQuerySchema, location="query")
@formulary_blp.response(200, page_of(DrugSchema, "DrugPage"))
def search_drugs(args):
    """Search the formulary's clinical drugs.

    Matches `q` against names and codes; filter by `rx_class`. Paginated with `limit` and `cursor`."""
    return _page(drugs.search(session=current_session(), **args))


@formulary_blp.route("/drugs/<drug_id>", methods=["GET"])
@authenticated
@formulary_blp.response(200, DrugSchema)
def get_drug(drug_id):
    """Read one clinical drug.

    Its generic name, strength, form, route, ATC code, prescription class and legal schedules."""
    return drugs.get(session=current_session(), drug_id=drug_id)


# ---- consultations -------------------------------------------------------------------

@consultations_blp.route("/consultations", methods=["POST"])
@requires("patient")
@consultations_blp.arguments(ConsultationRequestSchema)
@consultations_blp.response(201, ConsultationSchema)
@declares(Problem.POLICY_VIOLATION)
def create_consultation(body):
    """Ask for a consultation with a doctor.

    Triaged at once: red-flag symptoms, or a jurisdiction rule forbidding an online visit, answer 201
    with `status: "referred_offline"` and the reasons in `triage.reasons`; otherwise it waits for a
    doctor. A missing guardian for a young child under `cn` answers 422 `policy-violation`."""
    return consultations.create(session=current_session(), user=g.user, **body)


@consultations_blp.route("/consultations", methods=["GET"])
@requires("patient", "doctor", "admin")
@consultations_blp.arguments(StatusQuerySchema, location="query")
@consultations_blp.response(200, page_of(ConsultationSchema, "ConsultationPage"))
def list_consultations(args):
    """List consultations.

    A patient sees their own, a doctor the waiting queue and their own, an admin all; filter by `status`."""
    return _page(consultations.list_for(session=current_session(), user=g.user, **args))


@consultations_blp.route("/consultations/<consultation_id>", methods=["GET"])
@requires("patient", "doctor", "admin")
@consultations_blp.response(200, ConsultationSchema)
def get_consultation(consultation_id):
    """Read one consultation.

    For its patient, its doctor and admins; anyone else gets 404 `not-found`."""
    return consultations.get(session=current_session(), user=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/accept", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
@declares(Problem.ALREADY_CLAIMED, Problem.INVALID_TRANSITION)
def accept_consultation(consultation_id):
    """Take a waiting consultation (doctors).

    `waiting → in_progress`; a doctor who comes second gets 409 `already-claimed`, and a consultation
    no longer waiting 409 `invalid-transition`."""
    return consultations.accept(session=current_session(), doctor=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/guardian/confirm", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
@declares(Problem.INVALID_TRANSITION, Problem.POLICY_VIOLATION, Problem.VALIDATION_ERROR)
def confirm_guardian(consultation_id):
    """Confirm the recorded guardian is present (its doctor).

    While `in_progress`. With no guardian recorded: 422 `policy-violation` under `cn`, 422
    `validation-error` under `us`."""
    return consultations.confirm_guardian(session=current_session(), doctor=g.user, consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/prior-diagnosis/confirm", methods=["POST"])
@requires("doctor")
@consultations_blp.response(200, ConsultationSchema)
@declares(Problem.INVALID_TRANSITION, Problem.POLICY_VIOLATION, Problem.VALIDATION_ERROR)
def confirm_prior_diagnosis(consultation_id):
    """Confirm the record of the prior offline diagnosis (its doctor).

    While `in_progress` (else 409 `invalid-transition`). With no evidence recorded: 422
    `policy-violation` under `cn`, 422 `validation-error` under `us`."""
    return consultations.confirm_prior_diagnosis(session=current_session(), doctor=g.user,
                                                 consultation_id=consultation_id)


@consultations_blp.route("/consultations/<consultation_id>/messages", methods=["GET"])
@requires("patient", "doctor")
@consultations_blp.arguments(PageArgsSchema, location="query")
@consultations_blp.response(200, page_of(MessageSchema, "MessagePage"))
def list_messages(args, consultation_id):
    """List a consultation's messages, oldest first.

    For its patient and its doctor."""
    return _page(consultations.messages(session=current_session(), user=g.user,
                                        consultation_id=consultation_id, **args))


@consultations_blp.route("/consultations/<consultation_id>/messages", methods=["POST"])
@requires("patient", "doctor")
@consultations_blp.arguments(MessageInSchema)
@consultations_blp.response(201, MessageSchema)
@declares(Problem.INVALID_TRANSITION)
def post_message(body, consultation_id):
    """Write a message in a consultation.

    A patient's message is triaged with everything they wrote before: a red flag refers the
    consultation offline, and the message is still kept (201). A closed consultation answers 409
    `invalid-transition`."""
    return consultations.post_message(session=current_session(), user=g.user,
                                      consultation_id=consultation_id, body=body["body"])


@consultations_blp.route("/consultations/<consultation_id>/complete", methods=["POST"])
@requires("doctor")
@consultations_blp.arguments(CompletionSchema)
@consultations_blp.response(200, ConsultationSchema)
@declares(Problem.INVALID_TRANSITION)
def complete_consultation(body, consultation_id):
    """Complete a consultation with a diagnosis (its doctor).

    `in_progress → completed`; any other status answers 409 `invalid-transition`."""
    return consultations.complete(session=current_session(), doctor=g.user, consultation_id=consultation_id,
                                  diagnosis=body["diagnosis"], notes=body.get("notes"))


@consultations_blp.route("/consultations/<consultation_id>/cancel", methods=["POST"])
@requires("patient", "doctor")
@consultations_blp.arguments(ReasonSchema)
@consultations_blp.response(200, ConsultationSchema)
@declares(Problem.INVALID_TRANSITION)
def cancel_consultation(body, consultation_id):
    """Cancel a consultation.

    Its patient while it is `waiting`, its doctor while it is open; otherwise 409 `invalid-transition`."""
    return consultations.cancel(session=current_session(), user=g.user, consultation_id=consultation_id,
                                reason=body.get("reason"))


# ---- prescriptions -------------------------------------------------------------------

def _one(prescription):
    return describe_prescriptions(session=current_session(), prescriptions=[prescription])[0]


@prescriptions_blp.route("/consultations/<consultation_id>/prescriptions", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(PrescriptionDraftSchema)
@prescriptions_blp.response(201, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION, Problem.POLICY_VIOLATION)
def draft_prescription(body, consultation_id):
    """Draft a prescription in a consultation (its doctor).

    While the consultation is `in_progress`. Returns 201 `draft` with the safety findings (`blocking`
    and `warnings`) of the items against the patient's record; a jurisdiction rule that forbids it
    answers 422 `policy-violation` naming `rule` and `citation`."""
    return _one(prescriptions.create_draft(session=current_session(), doctor=g.user,
                                           consultation_id=consultation_id, **body))


@prescriptions_blp.route("/prescriptions/<prescription_id>/sign", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(SignSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION, Problem.SAFETY_CHECK_FAILED, Problem.POLICY_VIOLATION, Problem.RATE_LIMITED)
def sign_prescription(body, prescription_id):
    """Sign a draft (its doctor).

    Blocking findings answer 422 `safety-check-failed`; warnings need `override_reason`; controlled
    drugs need `otp`, and too many wrong codes lock the second factor (429 `rate-limited` with
    `Retry-After`). A signed prescription waits for a pharmacist (`pending_review`)."""
    return _one(prescriptions.sign(session=current_session(), doctor=g.user,
                                   prescription_id=prescription_id, **body))


@prescriptions_blp.route("/prescriptions", methods=["GET"])
@requires("patient", "doctor", "pharmacist", "admin")
@prescriptions_blp.arguments(StatusQuerySchema, location="query")
@prescriptions_blp.response(200, page_of(PrescriptionSchema, "PrescriptionPage"))
def list_prescriptions(args):
    """List prescriptions.

    A patient sees their own, a doctor those they wrote, a pharmacist the review queue (oldest first),
    an admin all; filter by `status`."""
    session = current_session()
    page = prescriptions.list_for(session=session, user=g.user, **args)
    return {"items": describe_prescriptions(session=session, prescriptions=page.items),
            "next_cursor": page.next_cursor}


@prescriptions_blp.route("/prescriptions/<prescription_id>", methods=["GET"])
@requires("patient", "doctor", "pharmacist", "admin")
@prescriptions_blp.response(200, PrescriptionSchema)
def get_prescription(prescription_id):
    """Read one prescription.

    With its safety findings, validity, refills and each item's remaining quantity; for its patient,
    its doctor, pharmacists and admins."""
    return _one(prescriptions.get(session=current_session(), user=g.user, prescription_id=prescription_id))


@prescriptions_blp.route("/prescriptions/<prescription_id>/claim", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.response(200, PrescriptionSchema)
@declares(Problem.ALREADY_CLAIMED, Problem.INVALID_TRANSITION)
def claim_prescription(prescription_id):
    """Claim a prescription for review (pharmacists).

    One reviewer at a time: a pharmacist who comes second gets 409 `already-claimed`."""
    return _one(review.claim(session=current_session(), pharmacist=g.user,
                             prescription_id=prescription_id))


@prescriptions_blp.route("/prescriptions/<prescription_id>/approve", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.arguments(ApproveSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION, Problem.SAFETY_CHECK_FAILED)
def approve_prescription(body, prescription_id):
    """Approve a claimed prescription (the claiming pharmacist).

    `pending_review → approved`; the safety checks run again on the patient's current record, and new
    blocking findings answer 422 `safety-check-failed`."""
    return _one(review.approve(session=current_session(), pharmacist=g.user,
                               prescription_id=prescription_id, note=body.get("note")))


@prescriptions_blp.route("/prescriptions/<prescription_id>/reject", methods=["POST"])
@requires("pharmacist")
@prescriptions_blp.arguments(RejectSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION)
def reject_prescription(body, prescription_id):
    """Reject a claimed prescription (the claiming pharmacist).

    `pending_review → rejected` with a `reason_code` the patient sees."""
    return _one(review.reject(session=current_session(), pharmacist=g.user,
                              prescription_id=prescription_id, reason_code=body["reason_code"],
                              note=body.get("note")))


@prescriptions_blp.route("/prescriptions/<prescription_id>/cancel", methods=["POST"])
@requires("doctor")
@prescriptions_blp.arguments(ReasonSchema)
@prescriptions_blp.response(200, PrescriptionSchema)
@declares(Problem.INVALID_TRANSITION)
def cancel_prescription(body, prescription_id):
    """Cancel a prescription (its doctor).

    Before it is dispensed; otherwise 409 `invalid-transition`."""
    return _one(prescriptions.cancel(session=current_session(), doctor=g.user,
                                     prescription_id=prescription_id, reason=body.get("reason")))


blueprints = [patients_blp, formulary_blp, consultations_blp, prescriptions_blp]
