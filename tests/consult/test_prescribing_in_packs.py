"""A prescription item written in packs of a product or in units of the drug: stored in units, shown both ways,
and refused in the unit the client used."""

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from consult import packs
from consult.models import PrescriptionItem
from tests.factories.consult import AMOXICILLIN, approved_prescription, consultation_in_progress, item
from tests.factories.shop import ADDRESS, make_product

DIAGNOSIS = {"code": "J03.9", "display": "Acute tonsillitis"}


def in_packs(product, count, **overrides):
    values = {key: value for key, value in item(**overrides).items() if key not in ("drug_id", "quantity")}
    return {**values, "product_id": product.id, "packs": count}


@pytest.fixture
def capsules21(session):
    return make_product(session, AMOXICILLIN, pack_size=21, stock=10, name="Amoxicillin 500 mg capsules x21")


@pytest.fixture
def drafting(session, login_as):
    """A doctor holding a follow-up, and a function that drafts items on it."""
    patient, doctor = login_as("patient"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)

    def draft(*items):
        return doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions",
                           json={"diagnosis": DIAGNOSIS, "items": list(items)})

    return draft


def test_an_item_written_in_packs_is_stored_in_units_and_shown_both_ways(drafting, capsules21):
    response = drafting(in_packs(capsules21, 2, days_supply=14))
    assert response.status_code == 201, response.json
    shown = response.json["items"][0]
    assert (shown["drug_id"], shown["quantity"], shown["quantity_units"]) == (AMOXICILLIN, 42, 42)
    assert shown["packs"] == {"product_id": capsules21.id, "count": 2, "pack_size": 21}
    assert shown["quantity_remaining"] == 42


def test_an_item_written_in_units_still_works_and_has_no_packs(drafting):
    shown = drafting(item(quantity=21)).json["items"][0]
    assert (shown["quantity"], shown["quantity_units"], shown["packs"]) == (21, 21, None)


@pytest.mark.parametrize("change, field", [
    ({"quantity": 21}, "quantity"),    # units and packs at once
    ({"product_id": None}, "product_id"),  # packs of no product
])
def test_packs_need_a_product_and_no_quantity_beside_them(drafting, capsules21, change, field):
    body = {**in_packs(capsules21, 1), **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = drafting(body)
    assert response.status_code == 422
    assert response.json["errors"] == {f"items.0.{field}": response.json["errors"][f"items.0.{field}"]}


def test_a_product_without_packs_is_refused(drafting, capsules21):
    body = {**item(), "product_id": capsules21.id}
    response = drafting(body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["items.0.packs"]


def test_an_unknown_product_is_a_validation_error(drafting, capsules21):
    response = drafting({**in_packs(capsules21, 1), "product_id": "prd-nope"})
    assert (response.status_code, list(response.json["errors"])) == (422, ["items.0.product_id"])


def test_a_drug_that_is_not_the_products_is_refused(drafting, capsules21):
    response = drafting({**in_packs(capsules21, 1), "drug_id": "paracetamol-500mg-tab"})
    assert (response.status_code, list(response.json["errors"])) == (422, ["items.0.drug_id"])


def test_the_database_refuses_packs_that_do_not_make_the_quantity(session, login_as, capsules21):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    rx = approved_prescription(session, patient.user, doctor.user, pharmacist.user)
    with pytest.raises(IntegrityError):
        session.execute(update(PrescriptionItem).where(PrescriptionItem.prescription_id == rx.id)
                        .values(product_id=capsules21.id, packs=2, pack_size=21))  # 2 × 21 is not 21
        session.flush()


def test_checkout_beyond_the_prescription_is_refused_in_packs(session, login_as, capsules21):
    patient, doctor, pharmacist = login_as("patient"), login_as("doctor"), login_as("pharmacist")
    approved_prescription(session, patient.user, doctor.user, pharmacist.user, items=[item(quantity=21)])
    response = patient.post("/api/v1/orders", headers={"Idempotency-Key": "packs-0000001"}, json={
        "items": [{"product_id": capsules21.id, "quantity": 2}], "shipping_address": ADDRESS})
    assert (response.status_code, response.json["type"]) == (409, "/problems/prescription-exhausted")
    assert response.json["detail"] == ("Your prescription covers 1 more pack (21 capsules) in this fill, "
                                       "not 2 packs (42 capsules).")
    assert (response.json["units_remaining"], response.json["packs_remaining"], response.json["pack_size"]) == (
        21, 1, 21)
    assert response.json["errors"] == {"items.0.quantity": ["At most 1 pack(s)."]}


@pytest.mark.parametrize("form, unit", [("tablet", "tablet"), ("gastro-resistant capsule", "capsule"),
                                        ("modified-release tablet", "tablet"), ("pressurised inhalation", "unit"),
                                        ("", "unit")])
def test_a_dose_form_is_counted_in_its_unit(form, unit):
    assert packs.unit_name(form) == unit


def test_quantities_read_in_packs_and_units(app):
    with app.test_request_context():
        assert packs.packs_text(1, 21, "capsule") == "1 pack (21 capsules)"
        assert packs.packs_text(3, 10, "film-coated tablet") == "3 packs (30 tablets)"
        assert packs.units_text(1, "tablet") == "1 tablet"


def test_a_quantity_finding_speaks_in_the_packs_the_doctor_wrote(drafting, capsules21):
    safety = drafting(in_packs(capsules21, 3)).json["safety"]  # 63 capsules for 21 the week needs
    finding = next(f for f in safety["warnings"] if f["rule"] == "EX.quantity-beyond-days-supply")
    assert finding["message"].startswith("amoxicillin: a quantity of 3 packs (63 units) is far beyond the 21 ")


def test_a_quantity_finding_in_units_stays_in_units(drafting):
    safety = drafting(item(quantity=63)).json["safety"]
    finding = next(f for f in safety["warnings"] if f["rule"] == "EX.quantity-beyond-days-supply")
    assert finding["message"].startswith("amoxicillin: a quantity of 63 is far beyond the 21 ")


def test_an_item_in_units_still_needs_its_drug_and_quantity(drafting):
    body = {key: value for key, value in item().items() if key != "quantity"}
    response = drafting(body)
    assert (response.status_code, list(response.json["errors"])) == (422, ["items.0.quantity"])
