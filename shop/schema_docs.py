"""What each field of the shop's schemas means, for the OpenAPI document (core.openapi.describe).

Kept beside the schemas rather than inside them so the field declarations stay one line each;
tests/core/test_openapi_contract.py fails on any field of the document left without a description.
"""

from core.openapi import describe
from shop.schemas import (
    AddressSchema, CancelInSchema, CartItemInSchema, CartLineSchema, CartSchema, IdempotencyHeaderSchema,
    LotInSchema, LotSchema, LotTraceSchema, MoneyInSchema, OrderInSchema, OrderItemInSchema, OrderLineSchema,
    OrderSchema, PaymentSchema, ProductInSchema, ProductPatchSchema, ProductSchema, RecallInSchema,
    RecalledOrderSchema, RecallSchema, RefundInSchema, ShipInSchema, WebhookAckSchema,
)

PRODUCT_ID = "01JF3ZC3D4E5F6G7H8J9K0M1N2"
ORDER_ID = "01JF3Z9K2M4N6P8Q0R2S4T6V8X"
PATIENT_ID = "01JF3ZA1B2C3D4E5F6G7H8J9K0"
LOT_ID = "01JF3ZF6G7H8J9K0M1N2P3Q4R5"
PRESCRIPTION_ID = ("The approved prescription of yours that covers it (prescription medicines).",
                   "01JF3ZE5F6G7H8J9K0M1N2P3Q4")

describe(MoneyInSchema,
         amount=("The amount in the currency's minor units (fen, cents): 1250 is 12.50.", 1250),
         currency=("The ISO 4217 code in lower case.", "cny"))
PRODUCT = dict(
    sku=("The stock-keeping unit, unique in the catalogue.", "PARA-500-20"),
    name=("The product's name as sold.", "Paracetamol 500 mg tablets, 20"),
    pack_size=("Units of the drug in one pack (tablets, capsules, mL...).", 20),
    price="The price of one pack.",
    active="Whether it is sold; an inactive product is hidden from the catalogue.",
)
describe(ProductSchema, **PRODUCT,
         id=("The product's id.", PRODUCT_ID),
         drug="The formulary drug a pack holds.",
         available_quantity=("Packs free to sell: unexpired, unrecalled, unreserved.", 42),
         needs_prescription="Whether buying it needs an approved prescription.",
         rx_class=("`otc`, `rx` or `controlled`.", "otc"),
         risk_notice="A warning the jurisdiction requires shown with the product, or null.",
         online_sale="Whether the jurisdiction allows selling it online, and if not, the rule.")
NAME_ZH = ("The pack's Chinese name (商品名, 通用名), shown and searched in Chinese; null for none.",
           "对乙酰氨基酚片 500 mg，20 片")
describe(ProductInSchema, **PRODUCT, name_zh=NAME_ZH,
         drug_id=("The formulary drug a pack holds.", "paracetamol-500mg-tab"))
describe(ProductPatchSchema, **PRODUCT, name_zh=NAME_ZH,
         drug_id=("The formulary drug a pack holds.", "paracetamol-500mg-tab"))
LOT = dict(
    product_id=("The product the lot holds.", PRODUCT_ID),
    lot_number=("The manufacturer's lot number.", "L2026-1107A"),
    expiry_date=("The last day the lot may be used, `YYYY-MM-DD`.", "2028-06-30"),
)
describe(LotInSchema, **LOT, quantity=("Packs received.", 200))
describe(LotSchema, **LOT,
         id=("The lot's id.", LOT_ID),
         on_hand=("Packs in the pharmacy, reserved ones included.", 200),
         reserved=("Packs held for orders not yet dispensed.", 3),
         recalled="Whether the lot was recalled (never allocated again).",
         recalled_at="When it was recalled (UTC), or null.",
         received_at="When it was received (UTC).")
describe(RecallInSchema, reason=("Why the lot is recalled.", "Manufacturer recall notice 2026-118."))
describe(RecalledOrderSchema,
         order_id=("An order holding packs of the lot.", ORDER_ID),
         status=("The order's status.", "paid"),
         patient_id=("The order's patient.", PATIENT_ID),
         allocation=("How the order holds them: `reserved` or `dispensed`.", "reserved"),
         quantity=("Packs of the lot it holds.", 2))
describe(RecallSchema,
         lot="The recalled lot.",
         orders="Orders holding packs of it, now flagged.",
         dispensed_to_patients="Patients it was dispensed to, to contact.")
describe(CartLineSchema,
         product="The product.",
         quantity=("Packs of it.", 2),
         prescription_id=PRESCRIPTION_ID,
         needs_prescription="Whether the product needs a prescription.",
         prescription_covers="Whether the named prescription covers this quantity; null when none is needed.")
describe(CartSchema, lines="What is in the cart, oldest first.")
describe(CartItemInSchema, quantity=("Packs, 1 to 100.", 2), prescription_id=PRESCRIPTION_ID)
describe(OrderItemInSchema,
         product_id=("The product ordered.", PRODUCT_ID),
         quantity=("Packs, 1 to 100.", 2),
         prescription_id=PRESCRIPTION_ID)
describe(AddressSchema,
         name=("Who receives the parcel.", "Wang Fang"),
         line1=("Street and number.", "1 Jianguomenwai Avenue"),
         line2=("Building, floor, apartment.", "Tower B, 12F"),
         city=("City.", "Beijing"),
         region=("Province, state or region.", "Beijing"),
         postal_code=("Postal code.", "100004"),
         country=("ISO 3166-1 alpha-2 country code.", "CN"),
         phone=("A phone number for the courier.", "+86 138 0013 8000"))
describe(OrderInSchema,
         items="What to order; leave it out to order what is in the cart.",
         shipping_address="Where to deliver.")
describe(IdempotencyHeaderSchema,
         idempotency_key=("A key of your choosing, new for each checkout: the same key and body return the same "
                          "order, another body is refused.", "4f9d2c8e-checkout-0001"))
describe(LotTraceSchema,
         lot_id=("The lot's id.", LOT_ID),
         lot_number=("The manufacturer's lot number.", "L2026-1107A"),
         expiry_date=("The lot's expiry date.", "2028-06-30"),
         quantity=("Packs from this lot.", 2),
         status=("`reserved`, `dispensed` or `released`.", "reserved"))
describe(OrderLineSchema,
         id=("The line's id (also its FHIR MedicationDispense id).", "01JF3ZG7H8J9K0M1N2P3Q4R5S6"),
         product_id=("The product ordered.", PRODUCT_ID),
         drug_id=("The formulary drug it holds.", "paracetamol-500mg-tab"),
         quantity=("Packs ordered.", 2),
         units=("Units of the drug: `quantity × pack_size`.", 40),
         needs_prescription=("Whether the product needs a prescription.", False),
         prescription_id="The prescription it is dispensed under, or null.",
         lots="The lots its packs are reserved from or were dispensed from, earliest expiry first.")
describe(PaymentSchema,
         provider=("Who takes the payment: `stripe`.", "stripe"),
         status=("`requires_payment_method`, `authorized`, `captured`, `canceled`, `partially_refunded`, "
                 "`refunded`.", "requires_payment_method"),
         payment_intent_id=("The Stripe PaymentIntent, or null.", "pi_3QK2aB2eZvKYlo2C1x2y3z4w"),
         client_secret=("For Stripe.js to confirm the card; shown only while the order awaits payment.",
                        "pi_3QK2aB2eZvKYlo2C1x2y3z4w_secret_abc123"),
         error="Why the provider could not be reached or refused, or null.")
describe(OrderSchema,
         id=("The order's id.", ORDER_ID),
         status=("`pending_payment`, `paid`, `dispensed`, `shipped`, `delivered`, `cancelled`, `expired` or "
                 "`refunded`.", "pending_payment"),
         patient_id=("The patient it is for.", PATIENT_ID),
         items="The lines ordered.",
         total=("What the order costs.", {"amount": 2500, "currency": "cny"}),
         payment="Where the money stands.",
         shipping_address=("Where to deliver (as sent at checkout).", {
             "name": "Wang Fang", "line1": "1 Jianguomenwai Avenue", "city": "Beijing", "postal_code": "100004",
             "country": "CN"}),
         expires_at="When unpaid stock is released (UTC).",
         created_at="When it was placed (UTC).",
         paid_at="When the payment was authorised (UTC), or null.",
         dispensed_at="When a pharmacist dispensed it (UTC), or null.",
         shipped_at="When it was handed to the carrier (UTC), or null.",
         delivered_at="When it was delivered (UTC), or null.",
         closed_at="When it was cancelled, expired or refunded (UTC), or null.",
         carrier="The carrier, once shipped; null before.",
         tracking_number="The carrier's tracking number, once shipped; null before.",
         flagged=("Whether a recall touched it (a pharmacist must look).", False),
         flag_reason="Why it is flagged, or null.",
         cancel_reason="Why it was cancelled, or null.")
describe(CancelInSchema, reason=("Why, in words.", "Ordered twice by mistake."))
describe(ShipInSchema,
         carrier=("The carrier.", "SF Express"),
         tracking_number=("The carrier's tracking number.", "SF1234567890"))
describe(RefundInSchema,
         amount=("How much, in minor units of the order's currency; leave it out for what is left.", 1000),
         reason=("Why, in words.", "Damaged in transit."))
describe(WebhookAckSchema,
         received="Always true: the event was accepted.",
         duplicate="Whether the event had been applied before (a replay, ignored).")
