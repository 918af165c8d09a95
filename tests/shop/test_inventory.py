"""FEFO allocation: earliest eligible lot first, never expired, recalled or too short-dated."""

import pytest

from shop import inventory
from shop.inventory import OutOfStock
from shop.models import InventoryLot
from tests.factories.shop import add_lot, make_product


def held(allocations):
    """What an allocation holds: (lot, packs)."""
    return [(a.lot_id, a.quantity) for a in allocations]


def test_fefo_picks_the_earliest_expiring_lot(session):
    product = make_product(session, stock=0)
    late = add_lot(session, product, 10, expiry_days=300)
    early = add_lot(session, product, 10, expiry_days=100)
    taken = inventory.reserve(session=session, product_id=product.id, quantity=4)
    assert held(taken) == [(early.id, 4)]
    assert late.id not in [a.lot_id for a in taken]


def test_an_allocation_spans_lots_in_expiry_order(session):
    product = make_product(session, stock=0)
    first = add_lot(session, product, 3, expiry_days=50)
    second = add_lot(session, product, 5, expiry_days=60)
    third = add_lot(session, product, 5, expiry_days=70)
    taken = inventory.reserve(session=session, product_id=product.id, quantity=10)
    assert held(taken) == [(first.id, 3), (second.id, 5), (third.id, 2)]


def test_an_expired_lot_is_never_allocated(session):
    product = make_product(session, stock=0)
    add_lot(session, product, 10, expiry_days=-1)
    add_lot(session, product, 10, expiry_days=0)
    with pytest.raises(OutOfStock):
        inventory.reserve(session=session, product_id=product.id, quantity=1)


def test_a_recalled_lot_is_never_allocated(session):
    product = make_product(session, stock=0)
    add_lot(session, product, 10, expiry_days=30, recalled=True)
    good = add_lot(session, product, 10, expiry_days=90)
    assert held(inventory.reserve(session=session, product_id=product.id, quantity=5)) == [(good.id, 5)]


def test_a_lot_expiring_before_the_therapy_ends_is_not_allocated(session):
    product = make_product(session, stock=0)
    short = add_lot(session, product, 10, expiry_days=5)
    long = add_lot(session, product, 10, expiry_days=40)
    taken = inventory.reserve(session=session, product_id=product.id, quantity=2, days_supply=30)
    assert held(taken) == [(long.id, 2)]
    assert inventory.reserve(session=session, product_id=product.id, quantity=2, days_supply=3)[0].lot_id == short.id


def test_a_shortfall_is_out_of_stock(session):
    product = make_product(session, stock=5)
    with pytest.raises(OutOfStock) as refused:
        inventory.reserve(session=session, product_id=product.id, quantity=6)
    assert refused.value.status == 409


def test_reserved_units_are_not_available(session):
    from shop import catalog

    product = make_product(session, stock=10)
    inventory.reserve(session=session, product_id=product.id, quantity=4)
    assert catalog.available(session=session, product_ids=[product.id]) == {product.id: 6}


def test_received_stock_must_not_be_expired(session):
    from datetime import date

    from core.errors import ValidationFailed

    product = make_product(session, stock=0)
    with pytest.raises(ValidationFailed):
        inventory.receive(session=session, actor_id="usr_x", product_id=product.id, lot_number="X",
                          expiry_date=date(2000, 1, 1), quantity=1)
    lot = inventory.receive(session=session, actor_id="usr_x", product_id=product.id, lot_number="Y",
                            expiry_date=date(2099, 1, 1), quantity=7)
    assert session.get(InventoryLot, lot.id).on_hand == 7
