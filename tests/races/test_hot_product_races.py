"""Buyers of one hot product spread over its lots (FOR UPDATE SKIP LOCKED) and never oversell.

FEFO under contention: a buyer takes the earliest-expiring eligible lot with free packs that
no other transaction holds locked; a later lot only while every earlier one is full or locked;
a buyer waits (rather than being refused) when every lot with free packs is locked.
"""

import pytest
from sqlalchemy import func, select, text

from shop import orders
from shop.inventory import OutOfStock
from shop.models import InventoryLot, LotAllocation, Order, OrderLine
from tests.factories.identity import make_user
from tests.factories.shop import ADDRESS, add_lot, make_product
from tests.races.conftest import race

pytestmark = [pytest.mark.races, pytest.mark.postgres_only]

BUYERS, ROUNDS = 32, 5


def buy(app, committed, user, key, product, quantity=1, *, lock_timeout=None):
    with app.app_context(), committed.sessionmaker() as s, s.begin():
        if lock_timeout:
            s.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": lock_timeout})
        _, _, lines = orders.checkout(session=s, user=s.merge(user), idempotency_key=key,
                                      body={"items": [{"product_id": product.id, "quantity": quantity}],
                                            "shipping_address": ADDRESS})
        return [lot["lot_id"] for lot in lines[0]["lots"]]


def live_allocations(session, lot_id):
    return session.scalar(select(func.coalesce(func.sum(LotAllocation.quantity), 0)).where(
        LotAllocation.lot_id == lot_id, LotAllocation.status == "reserved"))


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("layout", ["two lots", "one lot"])
def test_buyers_of_a_hot_product_never_oversell_and_are_refused_only_when_it_is_sold_out(
        app, committed, layout, round_):
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, stock=0)
        expired = add_lot(session, product, 50, expiry_days=-1)
        recalled = add_lot(session, product, 50, expiry_days=20, recalled=True)
        lots = ([add_lot(session, product, 20, expiry_days=100), add_lot(session, product, 20, expiry_days=200)]
                if layout == "two lots" else [add_lot(session, product, BUYERS - 4, expiry_days=100)])
        buyers = [make_user(session, role="patient")[0] for _ in range(BUYERS)]
    supply = sum(lot.on_hand for lot in lots)

    results = race(BUYERS, lambda i: buy(app, committed, buyers[i], f"hot-{round_}-{i}", product))
    sold = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    unexpected = [repr(r) for r in results if isinstance(r, Exception) and not isinstance(r, OutOfStock)]
    # Refused only for want of stock: a lot held by another buyer is waited for, not given up on.
    assert (len(sold), len(refused)) == (min(BUYERS, supply), BUYERS - min(BUYERS, supply)), unexpected[:3]
    with committed.sessionmaker() as session:
        for lot in session.scalars(select(InventoryLot).where(InventoryLot.product_id == product.id)):
            assert lot.reserved <= lot.on_hand
            assert lot.reserved == live_allocations(session, lot.id)
        assert session.get(InventoryLot, expired.id).reserved == 0
        assert session.get(InventoryLot, recalled.id).reserved == 0
        assert sum(session.get(InventoryLot, lot.id).reserved for lot in lots) == len(sold)
        assert session.scalar(select(func.count()).select_from(Order)) == len(sold)
        assert session.scalar(select(func.count()).select_from(OrderLine)) == len(sold)
    # Once nobody holds a lock, FEFO is strict: the next buyer takes the earliest lot with free packs.
    if len(sold) < supply:
        with app.app_context(), committed.sessionmaker() as session:
            first_free = next(lot.id for lot in lots if session.get(InventoryLot, lot.id).reserved < lot.on_hand)
            late = make_user(session, role="patient")[0]
        assert buy(app, committed, late, f"hot-{round_}-late", product) == [first_free]


def test_a_later_lot_is_used_only_while_the_earlier_one_is_locked_or_full(app, committed):
    with app.app_context(), committed.sessionmaker() as session:
        product = make_product(session, stock=0)
        add_lot(session, product, 10, expiry_days=-1)  # expired: never, locked or not
        early = add_lot(session, product, 5, expiry_days=100)
        late = add_lot(session, product, 5, expiry_days=200)
        buyers = [make_user(session, role="patient")[0] for _ in range(5)]

    # A buyer holds the early lot (its transaction open): the next passes it over at once.
    with app.app_context(), committed.sessionmaker() as holder, holder.begin():
        _, _, lines = orders.checkout(session=holder, user=holder.merge(buyers[0]), idempotency_key="hold-0001",
                                      body={"items": [{"product_id": product.id, "quantity": 1}],
                                            "shipping_address": ADDRESS})
        assert [lot["lot_id"] for lot in lines[0]["lots"]] == [early.id]
        assert buy(app, committed, buyers[1], "pass-0001", product, lock_timeout="2s") == [late.id]
    # Nobody holds it: the early lot again, until it is full, then the late one.
    assert buy(app, committed, buyers[2], "next-0001", product) == [early.id]
    assert buy(app, committed, buyers[3], "fill-0001", product, quantity=4) == [early.id, late.id]
    assert buy(app, committed, buyers[4], "full-0001", product) == [late.id]
    with committed.sessionmaker() as session:
        assert (session.get(InventoryLot, early.id).reserved, session.get(InventoryLot, late.id).reserved) == (5, 3)
