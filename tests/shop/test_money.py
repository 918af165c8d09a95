"""Money is one `{amount, currency}` object everywhere (docs/conventions.md); decimals are JSON numbers."""

import pytest

from tests.factories.consult import consultation_in_progress, item
from tests.factories.shop import ADDRESS, make_product


@pytest.fixture
def otc(session):
    return make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)


@pytest.fixture
def ibuprofen(session):
    return make_product(session, "ibuprofen-200mg-tab", pack_size=24, price=1550, stock=10)


def test_the_cart_shows_each_lines_subtotal_and_its_total_as_money(login_as, otc, ibuprofen):
    patient = login_as("patient")
    patient.put(f"/api/v1/cart/items/{otc.id}", json={"quantity": 2})
    cart = patient.put(f"/api/v1/cart/items/{ibuprofen.id}", json={"quantity": 1}).json
    assert [line["subtotal"] for line in cart["lines"]] == [{"amount": 2400, "currency": "cny"},
                                                           {"amount": 1550, "currency": "cny"}]
    assert cart["total"] == {"amount": 3950, "currency": "cny"}


def test_an_empty_cart_has_no_total(login_as):
    assert login_as("patient").get("/api/v1/cart").json == {"lines": [], "total": None}


def test_a_cart_in_two_currencies_has_no_total(session, login_as, otc):
    dollars = make_product(session, "ibuprofen-200mg-tab", pack_size=24, price=499, currency="usd", stock=10)
    patient = login_as("patient")
    patient.put(f"/api/v1/cart/items/{otc.id}", json={"quantity": 1})
    cart = patient.put(f"/api/v1/cart/items/{dollars.id}", json={"quantity": 1}).json
    assert cart["total"] is None


def test_an_order_lines_price_and_subtotal_are_money_beside_the_older_integers(login_as, otc):
    patient = login_as("patient")
    order = patient.post("/api/v1/orders", headers={"Idempotency-Key": "money-key-1"}, json={
        "items": [{"product_id": otc.id, "quantity": 3}], "shipping_address": ADDRESS}).json
    line = order["items"][0]
    assert (line["price"], line["subtotal"]) == ({"amount": 1200, "currency": "cny"},
                                                 {"amount": 3600, "currency": "cny"})
    assert (line["unit_price"], line["line_total"]) == (1200, 3600)  # kept: clients read them
    assert (order["payment"]["captured"], order["payment"]["refunded"]) == (
        {"amount": 0, "currency": "cny"}, {"amount": 0, "currency": "cny"})
    assert (order["payment"]["amount_captured"], order["payment"]["amount_refunded"]) == (0, 0)


def test_a_prescription_items_dose_and_frequency_are_numbers(session, login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    body = doctor.post(f"/api/v1/consultations/{consultation.id}/prescriptions", json={
        "items": [item(dose=2.5, frequency_per_day=3)],
        "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}).json
    assert (body["items"][0]["dose"], body["items"][0]["frequency_per_day"]) == (2.5, 3)


def test_the_document_declares_every_amount_as_money(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    money = "#/components/schemas/Money"
    assert [s.get("$ref") for s in schemas["Cart"]["properties"]["total"]["anyOf"]] == [money, None]
    assert schemas["CartLine"]["properties"]["subtotal"]["$ref"] == money
    assert schemas["OrderLine"]["properties"]["price"]["$ref"] == money
    assert schemas["PrescriptionItem"]["properties"]["dose"]["type"] == "number"
