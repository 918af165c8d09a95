"""HTTP endpoints of the shop: thin handlers over the service functions."""

from flask import current_app, g, request
from flask_smorest import Blueprint

from core.db import current_session
from core.identity.access import public, requires
from core.schemas import page_of
from shop import cart, catalog, inventory, order_queries, orders
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


def _order(order):
    return order_queries.describe(session=current_session(), orders=[order])[0]


# ---- catalog -----------------------------------------------------------------------

@catalog_blp.route("/products", methods=["GET"])
@public
@catalog_blp.arguments(ProductQuerySchema, location="query")
@catalog_blp.response(200, page_of(ProductSchema, "ProductPage"))
def search_products(args):
    session = current_session()
    page = catalog.search(session=session, **args)
    return {"items": catalog.describe(session=session, products=page.items, policy=_policy()), "next_cursor": page.next_cursor}


@catalog_blp.route("/products/<product_id>", methods=["GET"])
@public
@catalog_blp.response(200, ProductSchema)
def get_product(product_id):
    return _product(catalog.get(session=current_session(), product_id=product_id))


@catalog_blp.route("/products", methods=["POST"])
@requires("admin")
@catalog_blp.arguments(ProductInSchema)
@catalog_blp.response(201, ProductSchema)
def create_product(body):
    return _product(catalog.create(session=current_session(), actor_id=g.user.id, **body))


@catalog_blp.route("/products/<product_id>", methods=["PATCH"])
@requires("admin")
@catalog_blp.arguments(ProductPatchSchema)
@catalog_blp.response(200, ProductSchema)
def update_product(body, product_id):
    return _product(catalog.update(session=current_session(), actor_id=g.user.id,
                                   product_id=product_id, changes=body))


@catalog_blp.route("/inventory/lots", methods=["POST"])
@requires("admin", "pharmacist")
@catalog_blp.arguments(LotInSchema)
@catalog_blp.response(201, LotSchema)
def receive_lot(body):
    return inventory.receive(session=current_session(), actor_id=g.user.id, **body)


@catalog_blp.route("/inventory/lots/<lot_id>/recall", methods=["POST"])
@requires("admin", "pharmacist")
@catalog_blp.arguments(RecallInSchema)
@catalog_blp.response(200, RecallSchema)
def recall_lot(body, lot_id):
    return orders.recall_lot(session=current_session(), actor_id=g.user.id, lot_id=lot_id,
                            reason=body.get("reason"))


# ---- cart ----------------------------------------------------------------------------

@cart_blp.route("/cart", methods=["GET"])
@requires("patient")
@cart_blp.response(200, CartSchema)
def get_cart():
    return {"lines": cart.lines(session=current_session(), user=g.user, policy=_policy())}


@cart_blp.route("/cart/items/<product_id>", methods=["PUT"])
@requires("patient")
@cart_blp.arguments(CartItemInSchema)
@cart_blp.response(200, CartSchema)
def put_cart_item(body, product_id):
    session = current_session()
    cart.put(session=session, user=g.user, product_id=product_id, **body)
    return {"lines": cart.lines(session=session, user=g.user, policy=_policy())}


@cart_blp.route("/cart/items/<product_id>", methods=["DELETE"])
@requires("patient")
@cart_blp.response(200, CartSchema)
def delete_cart_item(product_id):
    session = current_session()
    cart.remove(session=session, user=g.user, product_id=product_id)
    return {"lines": cart.lines(session=session, user=g.user, policy=_policy())}


# ---- orders --------------------------------------------------------------------------

@orders_blp.route("/orders", methods=["POST"])
@requires("patient")
@orders_blp.arguments(IdempotencyHeaderSchema, location="headers")
@orders_blp.arguments(OrderInSchema)
@orders_blp.response(201, OrderSchema)
@orders_blp.alt_response(200, schema=OrderSchema, description="The order this Idempotency-Key already made")
def checkout(headers, body):
    order, created = orders.checkout(session=current_session(), user=g.user,
                                      idempotency_key=headers["idempotency_key"], body=body)
    return _order(order), 201 if created else 200


@orders_blp.route("/orders", methods=["GET"])
@requires("patient", "pharmacist", "admin")
@orders_blp.arguments(OrderQuerySchema, location="query")
@orders_blp.response(200, page_of(OrderSchema, "OrderPage"))
def list_orders(args):
    session = current_session()
    page = order_queries.list_for(session=session, user=g.user, **args)
    return {"items": order_queries.describe(session=session, orders=page.items), "next_cursor": page.next_cursor}


@orders_blp.route("/orders/<order_id>", methods=["GET"])
@requires("patient", "pharmacist", "admin")
@orders_blp.response(200, OrderSchema)
def get_order(order_id):
    return _order(order_queries.get(session=current_session(), user=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/cancel", methods=["POST"])
@requires("patient", "pharmacist", "admin")
@orders_blp.arguments(CancelInSchema)
@orders_blp.response(200, OrderSchema)
def cancel_order(body, order_id):
    return _order(orders.cancel(session=current_session(), user=g.user, order_id=order_id,
                                    reason=body.get("reason")))


@orders_blp.route("/orders/<order_id>/dispense", methods=["POST"])
@requires("pharmacist")
@orders_blp.response(200, OrderSchema)
def dispense_order(order_id):
    return _order(orders.dispense(session=current_session(), pharmacist=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/ship", methods=["POST"])
@requires("pharmacist", "admin")
@orders_blp.arguments(ShipInSchema)
@orders_blp.response(200, OrderSchema)
def ship_order(body, order_id):
    return _order(orders.ship(session=current_session(), user=g.user, order_id=order_id, **body))


@orders_blp.route("/orders/<order_id>/deliver", methods=["POST"])
@requires("admin")
@orders_blp.response(200, OrderSchema)
def deliver_order(order_id):
    return _order(orders.deliver(session=current_session(), user=g.user, order_id=order_id))


@orders_blp.route("/orders/<order_id>/refund", methods=["POST"])
@requires("admin")
@orders_blp.arguments(RefundInSchema)
@orders_blp.response(200, OrderSchema)
def refund_order(body, order_id):
    return _order(orders.refund(session=current_session(), admin=g.user, order_id=order_id,
                                    amount=body.get("amount"), reason=body.get("reason")))


@orders_blp.route("/payments/stripe/webhook", methods=["POST"])
@public
@orders_blp.response(200, WebhookAckSchema)
def stripe_webhook():
    """Signed by Stripe; each event is applied once (replays are acknowledged and ignored)."""
    return orders.receive_webhook(session=current_session(), payload=request.get_data(),
                                    signature=request.headers.get("Stripe-Signature"))


stripe_webhook._rxloop_raw_body = True  # the signature covers the exact bytes

blueprints = [catalog_blp, cart_blp, orders_blp]
