"""Schemas of the shop API."""

from marshmallow import Schema, fields, validate

from consult.schemas import DrugQuerySchema, DrugSchema, OnlineSaleSchema, StatusQuerySchema
from core.i18n import _l
from core.schemas import INT32_MAX, MoneySchema, StrictBoolean, StrictInteger


class MoneyInSchema(Schema):
    amount = StrictInteger(required=True, validate=validate.Range(min=0, max=10_000_000))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{3}$"))


class ProductSchema(Schema):
    id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    name_zh = fields.String(allow_none=True, metadata={"description": "The pack's Chinese name (商品名, 通用名)."})
    drug = fields.Nested(DrugSchema, required=True)
    pack_size = StrictInteger(required=True)
    price = fields.Nested(MoneySchema, required=True)
    available_quantity = StrictInteger(required=True)
    needs_prescription = StrictBoolean(required=True)
    rx_class = fields.String()
    risk_notice = fields.String(allow_none=True)
    online_sale = fields.Nested(OnlineSaleSchema)
    active = StrictBoolean()


class ProductQuerySchema(DrugQuerySchema):
    """Same arguments as the formulary search: q, rx_class, limit, cursor."""


class ProductInSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_zh = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    drug_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    pack_size = StrictInteger(required=True, validate=validate.Range(min=1, max=10000))
    price = fields.Nested(MoneyInSchema, required=True)
    active = StrictBoolean(load_default=True)


class ProductPatchSchema(Schema):
    sku = fields.String(validate=validate.Length(min=1, max=64))
    name = fields.String(validate=validate.Length(min=1, max=200))
    name_zh = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))
    drug_id = fields.String(validate=validate.Length(min=1, max=80))
    pack_size = StrictInteger(validate=validate.Range(min=1, max=10000))
    price = fields.Nested(MoneyInSchema)
    active = StrictBoolean()


class LotInSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    lot_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    expiry_date = fields.Date(required=True)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=1_000_000))


class LotSchema(Schema):
    id = fields.String(required=True)
    product_id = fields.String(required=True)
    lot_number = fields.String(required=True)
    expiry_date = fields.Date(required=True)
    on_hand = StrictInteger(required=True)
    reserved = StrictInteger(required=True)
    recalled = StrictBoolean(required=True)
    recalled_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime()


class RecallInSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class RecalledOrderSchema(Schema):
    order_id = fields.String()
    status = fields.String()
    patient_id = fields.String()
    allocation = fields.String()
    quantity = StrictInteger()


class RecallSchema(Schema):
    lot = fields.Nested(LotSchema, required=True)
    orders = fields.List(fields.Nested(RecalledOrderSchema), required=True)
    dispensed_to_patients = fields.List(fields.String(), required=True)


class CartItemInSchema(Schema):
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=100))
    prescription_id = fields.String(allow_none=True, validate=validate.Length(max=40))


class CartLineSchema(Schema):
    product = fields.Nested(ProductSchema, required=True)
    quantity = StrictInteger(required=True)
    prescription_id = fields.String(allow_none=True)
    needs_prescription = StrictBoolean(required=True)
    prescription_covers = StrictBoolean(allow_none=True)
    subtotal = fields.Nested(MoneySchema, required=True, metadata={
        "description": "The product's price times `quantity`."})


class CartSchema(Schema):
    lines = fields.List(fields.Nested(CartLineSchema), required=True)
    total = fields.Nested(MoneySchema, allow_none=True, required=True, metadata={
        "description": "The price of every line together; null when the cart is empty or mixes currencies "
                       "(checkout refuses a mix)."})


class AddressSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    line1 = fields.String(required=True, validate=validate.Length(min=1, max=200))
    line2 = fields.String(validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    region = fields.String(validate=validate.Length(max=100))
    postal_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error=_l("ISO 3166-1 alpha-2.")))
    phone = fields.String(validate=validate.Length(max=32))


class OrderItemInSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=100))
    prescription_id = fields.String(allow_none=True, validate=validate.Length(max=40))


class OrderInSchema(Schema):
    items = fields.List(fields.Nested(OrderItemInSchema), validate=validate.Length(min=1, max=50))
    shipping_address = fields.Nested(AddressSchema, required=True)


class IdempotencyHeaderSchema(Schema):
    idempotency_key = fields.String(required=True, data_key="Idempotency-Key",
                                    validate=validate.Length(min=8, max=255))


class LotTraceSchema(Schema):
    lot_id = fields.String()
    lot_number = fields.String()
    expiry_date = fields.Date()
    quantity = StrictInteger()
    status = fields.String()


class OrderLineSchema(Schema):
    id = fields.String(required=True)
    product_id = fields.String(required=True)
    drug_id = fields.String()
    quantity = StrictInteger(required=True)
    units = StrictInteger()
    unit_price = StrictInteger(metadata={
        "description": "The price of one pack in minor units of the order's currency; `price` says the same "
                       "as money.", "deprecated": True, "example": 1250})
    line_total = StrictInteger(metadata={
        "description": "`unit_price` times `quantity`, in minor units of the order's currency; `subtotal` "
                       "says the same as money.", "deprecated": True, "example": 2500})
    price = fields.Nested(MoneySchema, required=True, metadata={
        "description": "The price of one pack when ordered.", "example": {"amount": 1250, "currency": "cny"}})
    subtotal = fields.Nested(MoneySchema, required=True, metadata={
        "description": "`price` times `quantity`.", "example": {"amount": 2500, "currency": "cny"}})
    needs_prescription = StrictBoolean()
    prescription_id = fields.String(allow_none=True)
    lots = fields.List(fields.Nested(LotTraceSchema))


class PaymentSchema(Schema):
    provider = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "requires_payment_method, authorized, captured, canceled, refunded, partially_refunded, "
                       "or unavailable (no payment provider is configured on this server: see message)"})
    payment_intent_id = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True)
    amount_captured = StrictInteger(metadata={
        "description": "Captured so far, in minor units of the order's currency; `captured` says the same as "
                       "money.", "deprecated": True, "example": 0})
    amount_refunded = StrictInteger(metadata={
        "description": "Refunded so far, in minor units of the order's currency; `refunded` says the same as "
                       "money.", "deprecated": True, "example": 0})
    captured = fields.Nested(MoneySchema, required=True, metadata={
        "description": "Captured so far.", "example": {"amount": 0, "currency": "cny"}})
    refunded = fields.Nested(MoneySchema, required=True, metadata={
        "description": "Refunded so far.", "example": {"amount": 0, "currency": "cny"}})
    error = fields.String(allow_none=True)
    message = fields.String(allow_none=True, metadata={"description": "why the order cannot be paid, when status "
                                                                      "is unavailable"})


class OrderSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    patient_id = fields.String()
    items = fields.List(fields.Nested(OrderLineSchema), required=True)
    total = fields.Nested(MoneySchema, required=True)
    payment = fields.Nested(PaymentSchema, required=True)
    shipping_address = fields.Dict()
    expires_at = fields.DateTime()
    created_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    dispensed_at = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    flagged = StrictBoolean()
    flag_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class OrderQuerySchema(StatusQuerySchema):
    """status, limit, cursor."""


class CancelInSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class ShipInSchema(Schema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=80))
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=120))


class RefundInSchema(Schema):
    amount = StrictInteger(validate=validate.Range(min=1, max=INT32_MAX))
    reason = fields.String(validate=validate.Length(max=500))


class WebhookAckSchema(Schema):
    received = StrictBoolean(required=True)
    duplicate = StrictBoolean(required=True)
