"""Requests declared @read_only (catalogue reads, /me) read without a transaction's BEGIN and COMMIT
round trips, and can never write: a write or an audit entry in one is refused before it is sent."""

import pytest
from sqlalchemy import event, func, select, text, update

from core import audit
from core.db import WriteInReadOnlyRequest
from core.identity.events import IdentityEvent
from shop.models import Product
from tests.factories.identity import make_user
from tests.factories.shop import make_product
from tests.races.conftest import committed  # noqa: F401 (real commits, PostgreSQL only)


@pytest.fixture
def read_only_session(app, db_connection):
    with app.test_request_context():
        session = app.extensions["rxloop.db"].read_only_session()
        yield session
        session.close()


def products_named(session, name):
    return session.scalar(select(func.count()).select_from(Product).where(Product.name == name))


def test_a_read_only_request_cannot_add_a_row(read_only_session, session):
    product = make_product(session)
    read_only_session.add(Product(sku="RO-1", name="never written", drug_id=product.drug_id, pack_size=1,
                                  price_amount=1, currency="cny"))
    with pytest.raises(WriteInReadOnlyRequest):
        read_only_session.flush()
    assert products_named(session, "never written") == 0


def test_a_read_only_request_cannot_update_in_bulk(read_only_session, session):
    product = make_product(session)
    with pytest.raises(WriteInReadOnlyRequest):
        read_only_session.execute(update(Product).where(Product.id == product.id).values(name="renamed"))
    assert products_named(session, "renamed") == 0


def test_a_read_only_request_cannot_audit(read_only_session, session):
    audit.record(session=read_only_session, actor_id=None, action=IdentityEvent.USER_LOGGED_OUT,
                 subject_type="user", subject_id="user-x")
    with pytest.raises(WriteInReadOnlyRequest):
        read_only_session.commit()


def test_a_read_only_request_still_reads(read_only_session, session):
    product = make_product(session, name="read me")
    assert read_only_session.get(Product, product.id).name == "read me"


def transaction_states(engine):
    """After each statement: whether the connection was inside a transaction (a BEGIN was sent)."""
    states = []

    def after(conn, _cursor, statement, _parameters, _context, _executemany):
        states.append(str(conn.connection.dbapi_connection.info.transaction_status.name))

    event.listen(engine, "after_cursor_execute", after)
    return states


def test_catalogue_reads_and_me_run_outside_a_transaction(app, committed):  # noqa: F811
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, stock=5, name="Outside a transaction")
        _user, token = make_user(session, role="pharmacist")
    client = app.test_client()
    states = transaction_states(committed.sessionmaker.kw["bind"])
    expected = {f"/api/v1/products/{product.id}": 1, "/api/v1/products?q=Outside": 3, "/api/v1/me": 1}
    for path, statements in expected.items():
        states.clear()
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert states == ["IDLE"] * statements, path  # no BEGIN before, so no COMMIT after
    states.clear()
    assert client.get("/api/v1/prescriptions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "INTRANS" in states  # an audited read keeps its transaction


def test_a_write_on_a_connection_outside_a_transaction_is_refused(app, committed):  # noqa: F811
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, name="Before")
    with app.test_request_context():
        reader = committed.read_only_session()
        with pytest.raises(WriteInReadOnlyRequest):
            reader.connection().execute(text("UPDATE products SET name = 'After' WHERE id = :id"),
                                        {"id": product.id})
        reader.close()
    with committed.sessionmaker() as session:
        assert session.get(Product, product.id).name == "Before"
