"""Every list endpoint issues the same number of SQL statements for a page of 1 as of 100: no N+1."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.factories.consult import approved_prescription
from tests.factories.shop import ADDRESS, make_product


@contextmanager
def counted(engine_or_connection):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(engine_or_connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine_or_connection, "before_cursor_execute", count)


@pytest.fixture
def lists(session, login_as):
    people = {r: login_as(r) for r in ("patient", "doctor", "pharmacist", "admin")}
    products = [make_product(session, stock=20) for _ in range(3)]
    for n in range(3):
        approved_prescription(session, people["patient"].user, people["doctor"].user, people["pharmacist"].user,
                              override_reason="Second course, reviewed.")
        people["patient"].post("/api/v1/orders", headers={"Idempotency-Key": f"count-{n:04d}-key"}, json={
            "items": [{"product_id": p.id, "quantity": 1} for p in products], "shipping_address": ADDRESS})
    return people


@pytest.mark.parametrize("role,path", [
    ("patient", "/api/v1/products"), ("patient", "/api/v1/products?q=paracet"),
    ("patient", "/api/v1/products?q=对乙酰"), ("patient", "/api/v1/products?q=dyxa"), ("patient", "/api/v1/products?q=dyxa%20500"), ("doctor", "/api/v1/drugs?q=a"),
    ("patient", "/api/v1/drugs"), ("patient", "/api/v1/orders"),
    ("pharmacist", "/api/v1/orders"), ("patient", "/api/v1/prescriptions"),
    ("doctor", "/api/v1/prescriptions"), ("pharmacist", "/api/v1/prescriptions?status=approved"),
    ("doctor", "/api/v1/consultations"), ("admin", "/api/v1/audit"),
])
def test_a_page_of_one_and_a_page_of_a_hundred_cost_the_same_statements(lists, db_connection, role, path):
    caller, joiner = lists[role], "&" if "?" in path else "?"
    with counted(db_connection) as small:
        one = caller.get(f"{path}{joiner}limit=1")
    with counted(db_connection) as large:
        many = caller.get(f"{path}{joiner}limit=100")
    assert one.status_code == many.status_code == 200
    assert len(many.json["items"]) > 1, "the list must have several items to show anything"
    assert len(small) == len(large)


def test_an_otc_checkout_of_one_pack_costs_a_fixed_number_of_statements(session, login_as, db_connection):
    """Token; patient; products with drugs; the order (key claimed); the lot locked, then taken;
    the lines; their allocations; the audit entry. The answer is built from what was written.
    (The test's SAVEPOINT and RELEASE around the request's unit of work are counted too.)"""
    patient = login_as("patient")
    product = make_product(session, stock=5)
    with counted(db_connection) as statements:
        placed = patient.post("/api/v1/orders", headers={"Idempotency-Key": "count-otc-0001"}, json={
            "items": [{"product_id": product.id, "quantity": 1}], "shipping_address": ADDRESS})
    assert placed.status_code == 201
    assert len(statements) == 11
