"""Orders in one line for the workbench's tests (payments deferred: marked paid as the webhook would)."""

import itertools

from sqlalchemy import update

from shop import orders
from shop.models import Order
from tests.factories.shop import ADDRESS

_keys = itertools.count(1)


def paid_order(session, patient, product, quantity=1, prescription_id=None):
    line = {"product_id": product.id, "quantity": quantity}
    if prescription_id:
        line["prescription_id"] = prescription_id
    order, _, _ = orders.checkout(session=session, user=patient, idempotency_key=f"web-test-{next(_keys):08d}",
                               body={"items": [line], "shipping_address": ADDRESS})
    session.execute(update(Order).where(Order.id == order.id).values(status="paid"))
    session.commit()
    return order
