"""Products, inventory lots, carts, orders and what was allocated, paid and dispensed."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models import Drug
from core import search_text
from core.db import Base, new_id, utcnow
from core.encryption.columns import EncryptedJSON


def _search_key(context) -> str:
    """At insert, from the row's names (bulk inserts too); catalog.update writes it again."""
    row = context.get_current_parameters()
    return product_search_key(row.get("name"), row.get("name_zh"))


def product_search_key(name: str | None, name_zh: str | None) -> str:
    return search_text.key([name, name_zh])


class Product(Base):
    """A sellable pack of a formulary drug."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("pack_size > 0", name="pack_size_positive"),
                      CheckConstraint("price_amount >= 0", name="price_not_negative"),
                      # Search walks each found drug's products in name order (shop.catalog_search).
                      Index("ix_products_drug_id_name", "drug_id", "name", "id"),
                      # Keyset pages of the catalog walk (name, id) in order.
                      Index("ix_products_name_id", "name", "id"),
                      # Search by any part of any spelling of a name (Chinese, pinyin, English): a
                      # trigram index on PostgreSQL (pg_trgm) serves LIKE '%term%' on the folded key;
                      # elsewhere it is a plain index.
                      Index("ix_products_search_key_trgm", "search_key", postgresql_using="gin",
                            postgresql_ops={"search_key": "gin_trgm_ops"}),
                      # A whole name or the start of one: the key's names as tsvector lexemes
                      # (shop.catalog_search._names), PostgreSQL only.
                      Index("ix_products_search_names",
                            func.array_to_tsvector(func.string_to_array(
                                func.btrim(text("search_key"), literal_column("'|'")), literal_column("'|'"))),
                            postgresql_using="gin").ddl_if(dialect="postgresql"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("prd"))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))  # the pack's Chinese name, 商品名 + 通用名
    # The names folded for search (core.search_text.key), written whenever a name is.
    search_key: Mapped[str] = mapped_column(Text, default=_search_key)
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    pack_size: Mapped[int]
    price_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Loaded with the product in the same query; read it through catalog.drug_of(), which
    # follows drug_id (an admin may have just changed it) from the identity map.
    drug: Mapped[Drug] = relationship(lazy="joined", innerjoin=True, viewonly=True)


class InventoryLot(Base):
    """Stock of one product from one manufacturer's lot, counted in packs."""

    __tablename__ = "inventory_lots"
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_inventory_lots_product_expiry", "product_id", "expiry_date"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("lot"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    lot_number: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[date] = mapped_column(Date)
    on_hand: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)
    recalled: Mapped[bool] = mapped_column(default=False)
    recalled_at: Mapped[datetime | None]
    recall_reason: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]
    prescription_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status_expires", "status", "expires_at"),
        Index("ix_orders_payment_intent_id", "payment_intent_id"),
        CheckConstraint("closed_at IS NULL OR closed_at >= created_at", name="closed_not_before_created"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ord"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    total_amount: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # encrypted at rest
    expires_at: Mapped[datetime]
    payment_status: Mapped[str] = mapped_column(String(24), default="requires_payment_method")
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    payment_client_secret: Mapped[str | None] = mapped_column(String(255))
    payment_error: Mapped[str | None] = mapped_column(String(500))
    amount_captured: Mapped[int] = mapped_column(default=0)
    amount_refunded: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str | None] = mapped_column(String(80))
    tracking_number: Mapped[str | None] = mapped_column(String(120))
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    dispensed_at: Mapped[datetime | None]
    dispensed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      Index("ix_order_lines_order_id", "order_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("oln"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    position: Mapped[int]
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    drug_id: Mapped[str] = mapped_column(ForeignKey("drugs.id"))
    quantity: Mapped[int]
    units: Mapped[int]
    unit_price: Mapped[int]
    line_total: Mapped[int]
    needs_prescription: Mapped[bool]
    prescription_id: Mapped[str | None] = mapped_column(String(40))
    prescription_use_id: Mapped[str | None] = mapped_column(String(40))
    days_supply: Mapped[int | None]


class LotAllocation(Base):
    """Packs of one lot held for (then dispensed to) one order line: the traceability record."""

    __tablename__ = "lot_allocations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      Index("ix_lot_allocations_lot_id", "lot_id"),
                      Index("ix_lot_allocations_order_line_id", "order_line_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("alc"))
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"))
    lot_id: Mapped[str] = mapped_column(ForeignKey("inventory_lots.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))  # reserved, dispensed, released
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(Base):
    """A provider event applied once: the primary key refuses a replay in the same transaction."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    order_id: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(80))


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_order_id", "order_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ref"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int]
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentStep(Base):
    """One call to the payment provider, recorded (and committed) before it is made.

    The outbox of payments: a step is `pending` until the provider's answer is recorded in a
    later unit of work, `succeeded` or `failed` after. A crash in between leaves it pending,
    and the reconcile job asks the provider what became of it. The idempotency key, derived
    from the order, goes with the call, so asking again never does the thing twice."""

    __tablename__ = "payment_steps"
    __table_args__ = (Index("ix_payment_steps_order_id", "order_id"),
                      Index("ix_payment_steps_status_created", "status", "created_at"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pst"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(12))  # open, capture, cancel, refund
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, succeeded, failed
    provider_ref: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
