"""The workbench's pages through the Flask test client: sign-in, CSRF, roles, and each page's use case
going through the same service functions as the API."""

import pyotp
import pytest
from sqlalchemy import func, select

from consult.models import Prescription
from core.config import ConfigError, from_environment, validate
from shop.models import InventoryLot, Order
from tests.factories.consult import PRIOR_DIAGNOSIS_EVIDENCE, consultation_in_progress, item, signed_prescription
from tests.factories.identity import make_user
from tests.factories.shop import make_product
from tests.web.conftest import PageClient, text
from tests.web.factories import paid_order

STAFF_PAGES = ["/pharmacy/review", "/pharmacy/orders", "/pharmacy/lots", "/clinic/consultations"]


# ---- signing in and out ---------------------------------------------------------------------

def test_the_root_leads_an_anonymous_visitor_to_sign_in(pages):
    response = pages.get("/")
    assert (response.status_code, response.location) == (302, "/sign-in")


def test_a_staff_page_sends_an_anonymous_visitor_to_sign_in_and_back(pages):
    response = pages.get("/pharmacy/review")
    assert (response.status_code, response.location) == (302, "/sign-in?next=/pharmacy/review")


def test_signing_in_sets_an_http_only_same_site_lax_session_cookie(app, session, pages):
    with app.test_request_context():
        user, _ = make_user(session, role="pharmacist")
    response = pages.sign_in(user.email)
    assert (response.status_code, response.location) == (302, "/pharmacy/review")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_cookie_is_secure_unless_the_environment_is_development_or_test():
    assert from_environment({"RXLOOP_ENV": "production"})["SESSION_COOKIE_SECURE"] is True
    assert from_environment({"RXLOOP_ENV": "staging"})["SESSION_COOKIE_SECURE"] is True
    assert from_environment({"RXLOOP_ENV": "development"})["SESSION_COOKIE_SECURE"] is False
    with pytest.raises(ConfigError):
        validate(from_environment({"RXLOOP_ENV": "staging", "SESSION_COOKIE_SECURE": "0"}))


def test_a_wrong_password_is_refused_with_the_same_words_for_everyone(app, session, pages):
    with app.test_request_context():
        user, _ = make_user(session, role="doctor")
    for email in (user.email, "nobody@example.test"):
        response = pages.sign_in(email, password="not the password")
        assert response.status_code == 401
        assert "The email or password is incorrect" in text(response)
        assert "Set-Cookie" not in response.headers or "session=;" in response.headers["Set-Cookie"]


def test_an_enrolled_authenticator_is_asked_for_at_sign_in(app, session, pages):
    secret = pyotp.random_base32()
    with app.test_request_context():
        user, _ = make_user(session, role="doctor")
    user.totp_secret, user.totp_confirmed = secret, True
    session.commit()
    assert pages.sign_in(user.email).status_code == 401
    assert pages.sign_in(user.email, otp=pyotp.TOTP(secret).now()).status_code == 302


def test_signing_out_revokes_the_session(sign_in_as):
    doctor = sign_in_as("doctor")
    doctor.get("/clinic/consultations")
    assert doctor.submit("/sign-out").location == "/sign-in"
    assert doctor.get("/clinic/consultations").status_code == 302


# ---- CSRF and roles -----------------------------------------------------------------------

def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    prescription = signed_prescription(session, patient, doctor)
    response = pharmacist.submit(f"/pharmacy/review/{prescription.id}/claim", csrf=False)
    assert response.status_code == 400
    assert "The form has expired" in text(response)
    session.expire_all()
    assert session.get(Prescription, prescription.id).claimed_by is None


def test_a_csrf_token_of_another_session_is_refused(sign_in_as):
    one, other = sign_in_as("pharmacist"), sign_in_as("pharmacist")
    one.get("/pharmacy/review")
    other.get("/pharmacy/review")
    other.token = one.token
    assert other.submit("/sign-out").status_code == 400


def test_the_json_api_takes_no_csrf_token(login_as):
    pharmacist = login_as("pharmacist")
    assert pharmacist.post("/api/v1/auth/logout").status_code == 204


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_patient_cannot_open_staff_pages(sign_in_as, path):
    response = sign_in_as("patient").get(path)
    assert response.status_code == 403
    assert "This page is for another role." in text(response)


def test_the_navigation_shows_only_the_role_s_pages(sign_in_as):
    page = text(sign_in_as("pharmacist").get("/pharmacy/review"))
    assert "/pharmacy/orders" in page and "/clinic/consultations" not in page and "/my/orders" not in page


def test_chinese_is_chosen_on_the_page_and_kept_for_the_session(sign_in_as):
    doctor = sign_in_as("doctor")
    doctor.get("/clinic/consultations")
    doctor.submit("/language", {"lang": "zh"})
    assert '<html lang="zh-CN">' in text(doctor.get("/clinic/consultations"))


# ---- the pharmacist -----------------------------------------------------------------------

def test_the_review_queue_lists_the_longest_waiting_first_with_its_findings(session, sign_in_as, time_machine):
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    time_machine.move_to("2026-12-07 08:00Z", tick=False)
    older = signed_prescription(session, patient, doctor)
    time_machine.move_to("2026-12-07 08:45Z", tick=False)
    newer = signed_prescription(session, patient, doctor, override_reason="A second course, on purpose.")
    time_machine.move_to("2026-12-07 09:00Z", tick=False)
    page = text(sign_in_as("pharmacist").get("/pharmacy/review"))
    assert page.index(older.id) < page.index(newer.id)
    assert "1 h 00 min" in page and "15 min" in page
    warnings = len(newer.safety["warnings"])
    assert warnings > 0 and f"{warnings} · " in page  # the newer one's (duplicate therapy), counted


def test_a_claimed_prescription_shows_the_patient_s_facts_profile_and_findings(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient", allergies=[{"substance": "sulfonamides", "severity": "severe"}],
                           weight_kg=61.5)
    doctor, _ = make_user(session, role="doctor")
    prescription = signed_prescription(session, patient, doctor)
    before = text(pharmacist.get(f"/pharmacy/review/{prescription.id}"))
    assert "sulfonamides" not in before  # the record opens only to the claimant
    claimed = pharmacist.submit(f"/pharmacy/review/{prescription.id}/claim")
    assert claimed.location == f"/pharmacy/review/{prescription.id}"
    page = text(pharmacist.get(f"/pharmacy/review/{prescription.id}"))
    for shown in ("sulfonamides", "61.5", "amoxicillin-500mg-cap", "Active medication profile", 'id="approve"'):
        assert shown in page


def test_the_pharmacist_approves_with_a_note(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    prescription = signed_prescription(session, patient, doctor)
    pharmacist.submit(f"/pharmacy/review/{prescription.id}/claim")
    pharmacist.get(f"/pharmacy/review/{prescription.id}")
    assert pharmacist.submit(f"/pharmacy/review/{prescription.id}/approve", {"note": "Take with food."}).status_code == 302
    session.expire_all()
    approved = session.get(Prescription, prescription.id)
    assert (approved.status, approved.review_note) == ("approved", "Take with food.")


def test_a_rejection_needs_a_reason_code_from_the_list(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    prescription = signed_prescription(session, patient, doctor)
    pharmacist.submit(f"/pharmacy/review/{prescription.id}/claim")
    pharmacist.get(f"/pharmacy/review/{prescription.id}")
    assert pharmacist.submit(f"/pharmacy/review/{prescription.id}/reject", {"note": "No."}).status_code == 422
    assert pharmacist.submit(f"/pharmacy/review/{prescription.id}/reject", {"reason_code": "whim"}).status_code == 422
    assert pharmacist.submit(f"/pharmacy/review/{prescription.id}/reject",
                             {"reason_code": "dose", "note": "Too much."}).status_code == 302
    session.expire_all()
    assert session.get(Prescription, prescription.id).reject_reason_code == "dose"


def test_approving_without_a_claim_is_refused_as_the_api_refuses_it(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    doctor, _ = make_user(session, role="doctor")
    prescription = signed_prescription(session, patient, doctor)
    pharmacist.get("/pharmacy/review")
    response = pharmacist.submit(f"/pharmacy/review/{prescription.id}/approve")
    assert response.status_code == 403
    assert "Claim the prescription before reviewing it." in text(response)


def test_the_pharmacist_dispenses_a_paid_order_from_its_fefo_lots_and_ships_it(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    product = make_product(session, stock=0)
    from tests.factories.shop import add_lot
    add_lot(session, product, 5, expiry_days=400, lot_number="LATER-1")
    add_lot(session, product, 5, expiry_days=200, lot_number="SOONER-1")
    order = paid_order(session, patient, product)
    queue = text(pharmacist.get("/pharmacy/orders"))
    assert order.id in queue
    page = text(pharmacist.get(f"/pharmacy/orders/{order.id}"))
    assert "SOONER-1" in page and "LATER-1" not in page
    assert pharmacist.submit(f"/pharmacy/orders/{order.id}/dispense").status_code == 302
    pharmacist.get(f"/pharmacy/orders/{order.id}")
    assert pharmacist.submit(f"/pharmacy/orders/{order.id}/ship",
                             {"carrier": "SF", "tracking_number": "SF1234"}).status_code == 302
    session.expire_all()
    shipped = session.get(Order, order.id)
    assert (shipped.status, shipped.tracking_number) == ("shipped", "SF1234")


def test_shipping_needs_a_carrier_and_a_tracking_number(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    order = paid_order(session, patient, make_product(session))
    pharmacist.submit(f"/pharmacy/orders/{order.id}/dispense")
    pharmacist.get(f"/pharmacy/orders/{order.id}")
    assert pharmacist.submit(f"/pharmacy/orders/{order.id}/ship", {"carrier": "SF"}).status_code == 422


def test_a_lot_is_looked_up_by_number_and_recalled(session, sign_in_as):
    pharmacist = sign_in_as("pharmacist")
    patient, _ = make_user(session, role="patient")
    product = make_product(session, stock=0)
    from tests.factories.shop import add_lot
    lot = add_lot(session, product, 10, lot_number="RECALL-7")
    order = paid_order(session, patient, product)
    page = text(pharmacist.get("/pharmacy/lots?lot_number=RECALL-7"))
    assert order.id in page
    recalled = pharmacist.submit(f"/pharmacy/lots/{lot.id}/recall", {"reason": "Contaminated"})
    assert recalled.status_code == 200 and "1 orders flagged" in text(recalled)
    session.expire_all()
    assert session.get(InventoryLot, lot.id).recalled and session.get(Order, order.id).flagged


# ---- the doctor ---------------------------------------------------------------------------

def test_the_doctor_accepts_a_waiting_consultation_from_the_inbox(session, sign_in_as):
    from consult import consultations
    doctor = sign_in_as("doctor")
    patient, _ = make_user(session, role="patient")
    waiting = consultations.create(session=session, user=patient, chief_complaint="Follow-up of known condition",
                                   symptoms=["cough"], is_follow_up=True,
                                   prior_diagnosis={"code": "J02.9", "display": "Acute pharyngitis"},
                                   prior_diagnosis_evidence=PRIOR_DIAGNOSIS_EVIDENCE)
    session.commit()
    assert waiting.id in text(doctor.get("/clinic/consultations"))
    doctor.get(f"/clinic/consultations/{waiting.id}")
    assert doctor.submit(f"/clinic/consultations/{waiting.id}/accept").status_code == 302
    assert 'id="prescribe"' in text(doctor.get(f"/clinic/consultations/{waiting.id}"))


def _item_form(n, drug_id, dose, quantity, **extra):
    values = {"drug_id": drug_id, "dose": dose, "dose_unit": "mg", "frequency_per_day": 3, "route": "oral",
              "days_supply": 7, "quantity": quantity, "refills": 0, **extra}
    return {f"items-{n}-{k}": str(v) for k, v in values.items()}


def test_the_live_check_shows_findings_and_saves_nothing(session, sign_in_as):
    doctor = sign_in_as("doctor")
    patient, _ = make_user(session, role="patient", allergies=[{"substance": "penicillin"}])
    consultation = consultation_in_progress(session, patient, doctor.user)
    doctor.get(f"/clinic/consultations/{consultation.id}/prescribe")
    before = session.scalar(select(func.count()).select_from(Prescription))
    response = doctor.submit(f"/clinic/consultations/{consultation.id}/prescribe/check",
                             {"diagnosis_code": "J02.9", "diagnosis_display": "Pharyngitis",
                              **_item_form(0, "amoxicillin-500mg-cap", 500, 21)})
    assert response.status_code == 200
    assert "sev-blocking" in text(response) and "allergy" in text(response)
    assert session.scalar(select(func.count()).select_from(Prescription)) == before


def test_the_doctor_drafts_and_signs_from_the_consultation(session, sign_in_as):
    doctor = sign_in_as("doctor")
    patient, _ = make_user(session, role="patient")
    consultation = consultation_in_progress(session, patient, doctor.user)
    doctor.get(f"/clinic/consultations/{consultation.id}/prescribe")
    drafted = doctor.submit(f"/clinic/consultations/{consultation.id}/prescribe",
                            {"rows": "3", "diagnosis_code": "J02.9", "diagnosis_display": "Pharyngitis",
                             **_item_form(0, "amoxicillin-500mg-cap", 500, 21)})
    assert drafted.status_code == 302
    prescription_id = drafted.location.rsplit("/", 1)[1]
    assert 'id="sign"' in text(doctor.get(drafted.location))
    assert doctor.submit(f"/clinic/prescriptions/{prescription_id}/sign").status_code == 302
    session.expire_all()
    assert session.get(Prescription, prescription_id).status == "pending_review"


def test_a_number_that_does_not_parse_is_refused_by_the_api_s_schema(session, sign_in_as):
    doctor = sign_in_as("doctor")
    patient, _ = make_user(session, role="patient")
    consultation = consultation_in_progress(session, patient, doctor.user)
    doctor.get(f"/clinic/consultations/{consultation.id}/prescribe")
    response = doctor.submit(f"/clinic/consultations/{consultation.id}/prescribe",
                             {"diagnosis_code": "J02.9", "diagnosis_display": "Pharyngitis",
                              **_item_form(0, "amoxicillin-500mg-cap", "five hundred", 21)})
    assert response.status_code == 422
    assert "items.0.dose" in text(response)


def test_a_red_flag_in_a_message_shows_the_referral_banner(session, sign_in_as):
    from consult import consultations
    doctor = sign_in_as("doctor")
    patient, _ = make_user(session, role="patient")
    consultation = consultation_in_progress(session, patient, doctor.user)
    consultations.post_message(session=session, user=patient, consultation_id=consultation.id,
                               body="I have crushing chest pain now")
    session.commit()
    page = text(doctor.get(f"/clinic/consultations/{consultation.id}"))
    assert 'id="red-flag"' in page and 'id="prescribe"' not in page


# ---- the patient --------------------------------------------------------------------------

def test_the_patient_reads_their_prescriptions_and_orders(session, sign_in_as):
    patient = sign_in_as("patient")
    doctor, _ = make_user(session, role="doctor")
    signed_prescription(session, patient.user, doctor)
    order = paid_order(session, patient.user, make_product(session))
    assert "amoxicillin-500mg-cap" in text(patient.get("/my/prescriptions"))
    assert "paid" in text(patient.get("/my/orders")) and "Follow-up of known condition" in text(
        patient.get("/my/consultations"))
    assert order.id not in text(patient.get("/my/orders"))  # ids are for staff; the patient sees items and status


def test_another_patient_s_order_is_not_listed(session, sign_in_as):
    patient = sign_in_as("patient")
    other, _ = make_user(session, role="patient")
    paid_order(session, other, make_product(session))
    assert "You have no orders." in text(patient.get("/my/orders"))


def test_a_controlled_drug_under_us_rules_asks_the_doctor_for_the_authenticator_code(session, sign_in_as,
                                                                                      us_policy, time_machine):
    time_machine.move_to("2026-12-07T10:00:00Z", tick=False)
    secret = pyotp.random_base32()
    doctor = sign_in_as("doctor")
    with_totp = session.merge(doctor.user)
    with_totp.totp_secret, with_totp.totp_confirmed = secret, True
    session.commit()
    doctor = PageClient(doctor.flask, with_totp)
    doctor.sign_in(with_totp.email, otp=pyotp.TOTP(secret).now())
    patient, _ = make_user(session, role="patient")
    consultation = consultation_in_progress(session, patient, with_totp)
    doctor.get(f"/clinic/consultations/{consultation.id}/prescribe")
    drafted = doctor.submit(f"/clinic/consultations/{consultation.id}/prescribe", {
        "diagnosis_code": "R52", "diagnosis_display": "Pain", "basis_kind": "in_person_evaluation",
        "basis_evaluated_on": "2026-03-02",
        **_item_form(0, "codeine-30mg-tab", 30, 12, frequency_per_day=4, days_supply=3)})
    assert drafted.status_code == 302
    prescription_id = drafted.location.rsplit("/", 1)[1]
    assert 'id="otp"' in text(doctor.get(drafted.location))
    refused = doctor.submit(f"/clinic/prescriptions/{prescription_id}/sign")
    assert refused.status_code == 422 and "authenticator" in text(refused)
    doctor.get(drafted.location)
    time_machine.shift(30)  # the sign-in's code is spent: signing takes the next one
    signed = doctor.submit(f"/clinic/prescriptions/{prescription_id}/sign", {"otp": pyotp.TOTP(secret).now()})
    assert signed.status_code == 302
    session.expire_all()
    assert session.get(Prescription, prescription_id).status == "pending_review"


def test_a_form_field_with_a_nul_is_refused_before_any_view(sign_in_as):
    doctor = sign_in_as("doctor")
    doctor.get("/clinic/consultations")
    response = doctor.submit("/language", {"lang": "zh\x00"})
    assert response.status_code == 422


def test_sign_in_returns_only_to_a_page_of_this_site(app, session, pages):
    with app.test_request_context():
        user, _ = make_user(session, role="pharmacist")
    for target, landing in [("/pharmacy/orders", "/pharmacy/orders"), ("//evil.test/x", "/pharmacy/review"),
                            ("/\\evil.test", "/pharmacy/review"), ("https://evil.test/", "/pharmacy/review")]:
        pages.get("/sign-in")
        response = pages.submit(f"/sign-in?next={target}", {"email": user.email, "password": "correct horse battery"})
        assert response.location == landing, target
        pages.token = None


def test_pages_are_neither_cached_nor_framed(sign_in_as):
    response = sign_in_as("pharmacist").get("/pharmacy/review")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
