"""HTTP endpoints of the shop: thin handlers over the service functions."""

from flask import current_app, g, request
from flask_smorest import Blueprint

from core.openapi import declares
from core.problems import Problem
from core.db import current_session, read_only
from core.identity.access import public, requires
from core.schemas import page_of
from shop import cart, catalog, inventory, order_queries, orders, schema_docs  # noqa: F401 (schema_docs: the fields' descriptions)
from shop.schemas import (
    CancelInSchema, CartItemInSchema, CartSchema, IdempotencyHeaderSchema, LotInSchema, LotSchema,
    OrderInSchema, OrderQuerySchema, OrderSchema, ProductInSchema, ProductPatchSchema, ProductQuerySchema,
    ProductSchema, RecallInSchema, RecallSchema, RefundInSchema, ShipInSchema, WebhookAckSchema,
)

catalog_blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Catalog and inventory")
cart_blp = Blueprint("cart", __name__, url_prefix="/api/v1", description="Cart")
orders_blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Orders and fulfilment")


def _policy():
    return current_app.config["RXLOOP_POLICY"]


def _product(product):
    return catalog.describe(session=current_session(), products=[product], policy=_policy())[0]


def _order(order, lines: list[dict] | None = None):
    """One order as the API shows it; `lines` when in hand (an order just placed)."""
    in_hand = None if lines is None else {order.id: lines}
    return order_queries.describe(session=current_session(), orders=[order], lines=in_hand)[0]


# ---- catalog -----------------------------------------------------------------------

@catalog_blp.route("/products", methods=["GET"])
@public
@read_only
@catalog_blp.arguments(ProductQuerySchema, location="query")
@catalog_blp.response(200, page_of(ProductSchema, "ProductPage"))
def search_products(args):
    """Search the catalogue.

    Products (sellable packs of a drug) with price, stock available, whether a prescription is needed
    and whether the jurisdiction allows selling them online. Open to anyone; paginated."""
    session = current_session()
    page = catalog.search(session=session, **args)
    return {"items": catalog.describe(session=session, products=page.items, policy=_policy()), "next_cursor": page.next_cursor}


@catalog_blp.route("/products/<product_id>", methods=["GET"])
@public
@read_only
@catalog_blp.response(200, ProductSchema)
def get_product(product_id):
    """Read one product.

    Open to anyone; an inactive or unknown product answers 404 `not-found`."""
    return catalog.detail(session=current_session(), product_id=product_id, policy=_policy())


@catalog_blp.route("/products", methods=["POST"])
@requires("admin")
@catalog_blp.arguments(ProductInSchema)
@catalog_blp.response(201, ProductSchema)
@declares(Problem.CONFLICT)
def create_product(body):
    """Add a product to the catalogue (admins).

    A pack of a formulary drug at a price; an SKU already in use answers 409 `conflict`, an unknown
    drug 422 `validation-error`."""
    return _product(catalog.create(session=current_session(), actor_id=g.user.id, **body))


@catalog_blp.route("/products/<product_id>", methods=["PATCH"])
@requires("admin")
@catalog_blp.arguments(ProductPatchSchema)
@catalog_blp.response(200, ProductSchema)
@declares(Problem.CONFLICT)
def update_product(body, product_id):
    """Change a product (admins).

    Send only the fields to change."""
    return _product(catalog.update(session=current_session(), actor_id=g.user.id,
                                   product_id=product_id, changes=body))


@catalog_blp.route("/inventory/lots", methods=["POST"])
@requires("admin", "pharmacist")
@catalog_blp.arguments(LotInSchema)
@catalog_blp.response(201, LotSchema)
def receive_lot(body):
    """Receive stock: a lot of a product (admins, pharmacists).

    Packs with a lot number and expiry date; expired stock or an unknown product answers 422
    `validation-error`."""
    return inventory.receive(session=current_session(), actor_id=g.user.id, **body)


@catalog_blp.route("/inventory/lots/<lot_id>/recall", methods=["POST"])
@requires("admin", "pharmacist")
@catalog_blp.arguments(RecallInSchema)
@catalog_blp.response(200, RecallSchema)
def recall_lot(body, lot_id):
    """Recall a lot (admins, pharmacists).

    The lot is never allocated again; orders holding it are flagged, and the answer lists them and the
    patients it was dispensed to."""
    return orders.recall_lot(session=current_session(), actor_id=g.user.id, lot_id=lot_id,
                            reason=body.get("reason"))


# ---- cart ----------------------------------------------------------------------------

@cart_blp.route("/cart", methods=["GET"])
@requires("patient")
@cart_blp.response(200, CartSchema)
def get_cart():
    """Read your cart.

    Its lines (product, packs, prescription), each line's `subtotal` and the cart's `total`."""
    return cart.contents(session=current_session(), user=g.user, policy=_policy())


@cart_blp.route("/cart/items/<product_id>", methods=["PUT"])
@requires("patient")
@cart_blp.arguments(CartItemInSchema)
@cart_blp.response(200, CartSchema)
def put_cart_item(body, product_id):
    """Put a product in your cart, or change its quantity.

    `quantity` counts packs; name the `prescription_id` that covers a prescription medicine. Returns
    the whole cart."""
    session = current_session()
    cart.put(session=session, user=g.user, product_id=product_id, **body)
    return cart.contents(session=session, user=g.user, policy=_policy())


@cart_blp.route("/cart/items/<product_id>", methods=["DELETE"])
@requires("patient")
@cart_blp.response(200, CartSchema)
def delete_cart_item(product_id):
    """Take a product out of your cart.

    Returns the whole cart; a product not in it answers 404 `not-found`."""
    session = current_session()
    cart.remove(session=session, user=g.user, product_id=product_id)
    return cart.contents(session=session, user=g.user, policy=_policy())


# ---- orders --------------------------------------------------------------------------

@orders_blp.route("/orders", methods=["POST"])
@requires("patient")
@orders_blp.arguments(IdempotencyHeaderSchema, location="headers")
@orders_blp.arguments(OrderInSchema)
@orders_blp.response(201, OrderSchema)
@orders_blp.alt_response(200, schema=OrderSchema, description="The order this Idempotency-Key already made")
@declares(Problem.CONFLICT, Problem.OUT_OF_STOCK, Problem.PRESCRIPTION_REQUIRED, Problem.PRESCRIPTION_EXHAUSTED, Problem.POLICY_VIOLATION, Problem.PAYMENT_DECLINED, Problem.PAYMENT_PROVIDER_ERROR)
def checkout(headers, body):
    """Check out: order the cart's items (or `items`) for delivery.

    Stock is reserved (earliest expiry first) until payment or `expires_at`, and a card payment is
    authorised for `total`. The same `Idempotency-Key` and body return the same order (200), another
    body 409 `conflict`. A prescription medicine without an approved prescription of yours covering it
    answers 409 `prescription-required` with `consultation_url` to start a consultation."""
    placed = orders.checkout(session=current_session(), user=g.user, idempotency_key=headers["idempotency_key"],
                             body=body)
    return _order(placed.order, placed.lines), 201 if placed.created else 200


@orders_blp.route("/orders", methods=["GET"])
@requires("patient", "pharmacist", "admin")
@orders_blp.arguments(OrderQuerySchema, location="query")
@orders_blp.response(200, page_of(OrderSchema, "OrderPage"))
def list_orders(args):
    """List orders.

    A patient sees their own (newest first), pharmacists and admins all; filter by `status`."""
    session = current_session()
    page = order_queries.list_for(session=session, user=g.user, **args)
    return {"items": order_queries.describe(session=session, orders=page.items), "next_cursor": page.next_cursor}


@orders_blp.route("/orders/<order_id>", methods=["GET"])
@requires("patient", "pharmacist", "admin")
@orders_blp.response(200, OrderSchema)
def get_order(order_id):
    """Read one order.

    Its lines with their lots, total, payment and fulfilment times; another patient's order answers
    404 `not-found`."""
    return _order(order_queries.get(session=current_session(), user=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/cancel", methods=["POST"])
@requires("patient", "pharmacist", "admin")
@orders_blp.arguments(CancelInSchema)
@orders_blp.response(200, OrderSchema)
@declares(Problem.INVALID_TRANSITION, Problem.PAYMENT_PROVIDER_ERROR)
def cancel_order(body, order_id):
    """Cancel an order.

    Its patient before dispensing, pharmacists and admins; the stock is released and a payment
    cancelled or refunded."""
    return _order(orders.cancel(session=current_session(), user=g.user, order_id=order_id,
                                    reason=body.get("reason")))


@orders_blp.route("/orders/<order_id>/dispense", methods=["POST"])
@requires("pharmacist")
@orders_blp.response(200, OrderSchema)
@declares(Problem.INVALID_TRANSITION, Problem.CONFLICT, Problem.SAFETY_CHECK_FAILED, Problem.PAYMENT_PROVIDER_ERROR)
def dispense_order(order_id):
    """Dispense a paid order (pharmacists).

    `paid → dispensed`: records the lots of each line, draws on the prescriptions and captures the
    payment."""
    return _order(orders.dispense(session=current_session(), pharmacist=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/ship", methods=["POST"])
@requires("pharmacist", "admin")
@orders_blp.arguments(ShipInSchema)
@orders_blp.response(200, OrderSchema)
@declares(Problem.INVALID_TRANSITION)
def ship_order(body, order_id):
    """Hand a dispensed order to a carrier (pharmacists, admins).

    `dispensed → shipped` with the carrier and tracking number."""
    return _order(orders.ship(session=current_session(), user=g.user, order_id=order_id, **body))


@orders_blp.route("/orders/<order_id>/deliver", methods=["POST"])
@requires("admin")
@orders_blp.response(200, OrderSchema)
@declares(Problem.INVALID_TRANSITION)
def deliver_order(order_id):
    """Record an order as delivered (admins).

    `shipped → delivered`."""
    return _order(orders.deliver(session=current_session(), user=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/refund", methods=["POST"])
@requires("admin")
@orders_blp.arguments(RefundInSchema)
@orders_blp.response(200, OrderSchema)
@declares(Problem.INVALID_TRANSITION, Problem.CONFLICT, Problem.PAYMENT_PROVIDER_ERROR)
def refund_order(body, order_id):
    """Refund an order, wholly or in part (admins).

    `amount` in minor units of the order's currency, or nothing for what is left; a full refund moves
    the order to `refunded`."""
    return _order(orders.refund(session=current_session(), admin=g.user, order_id=order_id,
                                    amount=body.get("amount"), reason=body.get("reason")))


@orders_blp.route("/payments/stripe/webhook", methods=["POST"])
@public
@orders_blp.response(200, WebhookAckSchema)
@declares(Problem.MALFORMED_REQUEST, Problem.PAYLOAD_TOO_LARGE)
def stripe_webhook():
    """Receive a Stripe event.

    Signed by Stripe (`Stripe-Signature`, else 400 `malformed-request`); each event is applied once and
    replays are acknowledged as `duplicate`. Not for clients."""
    return orders.receive_webhook(session=current_session(), payload=request.get_data(),
                                    signature=request.headers.get("Stripe-Signature"))


stripe_webhook._rxloop_raw_body = True  # the signature covers the exact bytes

blueprints = [catalog_blp, cart_blp, orders_blp]
