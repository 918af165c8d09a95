"""Sixty-four buyers for the last ten units: exactly ten orders, never an oversold unit."""

import pytest
from sqlalchemy import func, select

from shop import orders
from shop.inventory import OutOfStock
from shop.models import InventoryLot, LotAllocation, Order
from tests.factories.identity import make_user
from tests.factories.shop import ADDRESS, add_lot, make_product
from tests.races.conftest import race

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]

BUYERS, UNITS, ROUNDS = 64, 10, 20


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sixty_four_buyers_for_the_last_ten_units(app, committed, round_):
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, stock=0)
        add_lot(session, product, 4, expiry_days=100)  # the ten units span two lots
        add_lot(session, product, 6, expiry_days=200)
        buyers = [make_user(session, role="patient")[0] for _ in range(BUYERS)]

    def buy(i):
        with app.app_context(), committed.sessionmaker() as s, s.begin():
            order, _, _ = orders.checkout(session=s, user=s.merge(buyers[i]), idempotency_key=f"race-{round_}-{i}",
                                       body={"items": [{"product_id": product.id, "quantity": 1}],
                                             "shipping_address": ADDRESS})
            return order.id

    results = race(BUYERS, buy)
    sold = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    unexpected = [repr(r) for r in results if isinstance(r, Exception) and not isinstance(r, OutOfStock)]
    assert (len(sold), len(refused)) == (UNITS, BUYERS - UNITS), unexpected[:3]
    with committed.sessionmaker() as session:
        lots = session.scalars(select(InventoryLot).where(InventoryLot.product_id == product.id)).all()
        assert sum(lot.reserved for lot in lots) == UNITS
        assert all(lot.reserved == lot.on_hand for lot in lots)
        assert session.scalar(select(func.sum(LotAllocation.quantity))) == UNITS
        assert session.scalar(select(func.count()).select_from(Order)) == UNITS
