"""The active medication profile: a dispensed supply screens new prescriptions until it runs out
(plus the grace period), pending and approved items always, and reported medicines too."""

from datetime import date, timedelta

import pytest

from consult import consultations, dispensing, patients, prescriptions
from consult.models import Prescription, PrescriptionItem, PrescriptionUse
from consult.profile import GRACE_DAYS, Supply, active_medication_profile, on_profile, supply_runs_out
from core.db import utcnow
from core.errors import InvalidTransition
from tests.factories.consult import approved_prescription, consultation_in_progress, item, signed_prescription
from tests.factories.identity import make_user

DAY = date(2026, 11, 2)
SIMVASTATIN = item("simvastatin-20mg-tab", dose=20, frequency_per_day=1, days_supply=7, quantity=7)
CLARITHROMYCIN = item("clarithromycin-500mg-tab", dose=500, frequency_per_day=2, days_supply=7, quantity=14)
DIAGNOSIS = {"code": "J01.9", "display": "Acute sinusitis"}


# ---- when a supply runs out (pure) ----------------------------------------------------------

@pytest.mark.parametrize("supplies, quantity, days_supply, runs_out", [
    ([Supply(DAY, 7)], 7, 7, DAY + timedelta(days=7)),
    ([Supply(DAY, 14)], 28, 14, DAY + timedelta(days=7)),  # half the units: half the days
    ([Supply(DAY, 10), Supply(DAY, 11)], 21, 7, DAY + timedelta(days=4 + 4)),  # bought together: back to back
    ([Supply(DAY + timedelta(days=10), 7), Supply(DAY, 7)], 7, 7, DAY + timedelta(days=17)),  # a later refill
    ([Supply(DAY, 7), Supply(DAY + timedelta(days=3), 7)], 7, 7, DAY + timedelta(days=14)),  # an early refill
    ([], 7, 7, None),
])
def test_a_supply_lasts_its_share_of_the_days_supply_and_refills_follow_on(supplies, quantity, days_supply, runs_out):
    assert supply_runs_out(supplies, quantity=quantity, days_supply=days_supply) == runs_out


@pytest.mark.parametrize("days_after_running_out, expected", [
    (-1, True), (0, True), (GRACE_DAYS - 1, True), (GRACE_DAYS, False), (GRACE_DAYS + 30, False),
])
def test_a_supply_stays_on_the_profile_for_the_grace_period_after_it_runs_out(days_after_running_out, expected):
    assert on_profile(DAY, DAY + timedelta(days=days_after_running_out)) is expected


def test_nothing_dispensed_is_not_on_the_profile():
    assert on_profile(None, DAY) is False


# ---- the profile in the database -----------------------------------------------------------

@pytest.fixture
def staff(session):
    # A man: simvastatin (a teratogen) would otherwise prompt for pregnancy status.
    return {role: make_user(session, role=role, **({"sex": "male"} if role == "patient" else {}))[0]
            for role in ("patient", "doctor", "pharmacist")}


def dispensed(session, staff, rx_item):
    """An approved prescription for `rx_item`, bought and dispensed in full today."""
    rx = approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"], items=[rx_item])
    use = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=rx_item["drug_id"],
                                   quantity=rx_item["quantity"])
    dispensing.record_dispense(session=session, use_id=use.use_id, pharmacist_id=staff["pharmacist"].id)
    session.commit()
    assert rx.status == "dispensed"
    return rx


def draft_findings(session, staff, rx_item):
    consultation = consultation_in_progress(session, staff["patient"], staff["doctor"])
    draft = prescriptions.create_draft(session=session, doctor=staff["doctor"], consultation_id=consultation.id,
                                       items=[rx_item], diagnosis=DIAGNOSIS)
    return [(f["code"], f["severity"], tuple(f["drugs"])) for f in draft.safety["blocking"] + draft.safety["warnings"]]


def test_a_dispensed_prescription_screens_until_its_supply_runs_out_then_stops(session, staff, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    dispensed(session, staff, SIMVASTATIN)  # 7 days' supply, handed over today
    interaction = ("DD", "blocking", ("clarithromycin-500mg-tab", "simvastatin-20mg-tab"))
    assert interaction in draft_findings(session, staff, CLARITHROMYCIN)
    time_machine.shift(timedelta(days=7 + GRACE_DAYS - 1))  # the last day of the grace period
    assert interaction in draft_findings(session, staff, CLARITHROMYCIN)
    time_machine.shift(timedelta(days=1))
    assert draft_findings(session, staff, CLARITHROMYCIN) == []


def test_the_profile_names_the_dispensed_supply_and_its_last_day(session, staff, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    rx = dispensed(session, staff, SIMVASTATIN)
    profile = active_medication_profile(session=session, patient_id=rx.patient_id, today=utcnow().date())
    assert [(i.drug_id, i.supply_until) for i in profile.items] == [
        ("simvastatin-20mg-tab", utcnow().date() + timedelta(days=6))]
    assert active_medication_profile(session=session, patient_id=rx.patient_id, today=utcnow().date(),
                                     exclude_prescription_id=rx.id).items == ()


def test_pending_and_approved_items_and_reported_medicines_are_on_the_profile(session, staff):
    patients.update_profile(session=session, user=staff["patient"],  # metformin asks for a current eGFR
                            changes={"egfr": 80, "egfr_measured_on": utcnow().date()})
    signed_prescription(session, staff["patient"], staff["doctor"], items=[item("metformin-500mg-tab", dose=500,
                                                                              frequency_per_day=2, quantity=14)])
    approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"])
    patients.update_profile(session=session, user=staff["patient"],
                            changes={"current_medications": [{"name": "Lipitor"}, {"drug_id": "aspirin-100mg-tab"}]})
    patient_id = patients.of_user(session=session, user=staff["patient"]).id
    profile = active_medication_profile(session=session, patient_id=patient_id, today=utcnow().date())
    assert [i.drug_id for i in profile.items] == ["metformin-500mg-tab", "amoxicillin-500mg-cap"]
    assert profile.reported == ("Lipitor", "aspirin-100mg-tab")


def test_released_units_are_not_on_the_profile(session, staff):
    rx = approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"], items=[SIMVASTATIN])
    use = dispensing.authorize_use(session=session, patient_id=rx.patient_id, drug_id=SIMVASTATIN["drug_id"],
                                   quantity=7)
    dispensing.release(session=session, use_id=use.use_id)
    rx.status = "expired"  # the approved prescription alone would keep it on the profile
    session.commit()
    assert active_medication_profile(session=session, patient_id=rx.patient_id, today=utcnow().date()).items == ()


def test_signing_against_a_dispensed_supply_is_refused_over_http(session, login_as, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    patient, doctor = login_as("patient", sex="male"), login_as("doctor")
    pharmacist = make_user(session, role="pharmacist")[0]
    dispensed(session, {"patient": patient.user, "doctor": doctor.user, "pharmacist": pharmacist}, SIMVASTATIN)
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    draft = doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                        json={"items": [CLARITHROMYCIN], "diagnosis": DIAGNOSIS}).json
    signed = doctor.post(f"/api/v1/prescriptions/{draft['id']}/sign", json={})
    assert signed.status_code == 422
    assert signed.json["type"] == "/problems/safety-check-failed"
    assert [(f["code"], f["rule"]) for f in signed.json["safety"]["blocking"]] == [("DD", "DD.interaction-table")]
    assert "simvastatin (dispensed, supply to" in signed.json["safety"]["blocking"][0]["message"]


def test_dispensing_is_refused_when_a_supply_dispensed_since_approval_interacts(session, staff):
    waiting = approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"],
                                    items=[CLARITHROMYCIN])
    assert dispensing.ensure_safe_to_dispense(session=session, prescription_id=waiting.id) == {
        "blocking": [], "warnings": []}
    # Meanwhile simvastatin was dispensed on another prescription (recorded here directly).
    now = utcnow()
    other = Prescription(consultation_id=waiting.consultation_id, patient_id=waiting.patient_id,
                         doctor_id=waiting.doctor_id, status="dispensed", policy="cn", diagnosis=DIAGNOSIS,
                         created_at=now, closed_at=now)  # never closed before it was created
    session.add(other)
    session.flush()
    row = PrescriptionItem(prescription_id=other.id, position=0, quantity_remaining=0, **SIMVASTATIN)
    session.add(row)
    session.flush()
    session.add(PrescriptionUse(prescription_id=other.id, item_id=row.id, quantity=7, status="dispensed",
                                closed_at=utcnow()))
    session.commit()
    with pytest.raises(dispensing.SafetyCheckFailed):
        dispensing.ensure_safe_to_dispense(session=session, prescription_id=waiting.id)


# ---- dispensing after a later referral --------------------------------------------------------------

def test_an_approved_prescription_is_not_dispensed_or_bought_once_its_consultation_is_referred_offline(
        session, staff):
    approved = approved_prescription(session, staff["patient"], staff["doctor"], staff["pharmacist"],
                                      items=[CLARITHROMYCIN])
    use = dispensing.authorize_use(session=session, patient_id=approved.patient_id,
                                   drug_id=CLARITHROMYCIN["drug_id"], quantity=7)
    # A red flag in a later message of the patient's, after the pharmacist approved.
    consultations.post_message(session=session, user=staff["patient"], consultation_id=approved.consultation_id,
                               body="I took too many pills last night")
    session.commit()
    with pytest.raises(InvalidTransition) as refused:
        dispensing.ensure_safe_to_dispense(session=session, prescription_id=approved.id)
    assert refused.value.extra == {"current_status": "approved", "target_status": "dispensed",
                                   "consultation_status": "referred_offline"}
    with pytest.raises(dispensing.PrescriptionRequired):
        dispensing.authorize_use(session=session, patient_id=approved.patient_id,
                                 drug_id=CLARITHROMYCIN["drug_id"], quantity=7)
    assert dispensing.covers(session=session, patient_id=approved.patient_id,
                             drug_id=CLARITHROMYCIN["drug_id"], quantity=7) is False
    assert dispensing.release(session=session, use_id=use.use_id) is True  # what was reserved goes back
