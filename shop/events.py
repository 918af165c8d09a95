"""The shop's audit events: every action shop writes to the audit log, by name.

Each value is what the log stores; find every place an event is written by its name."""

from core.audit import AuditEvent


class ShopEvent(AuditEvent):
    FHIR_MEDICATION_DISPENSE_READ = "fhir.medication_dispense_read"
    LOT_RECALLED = "lot.recalled"
    LOT_RECEIVED = "lot.received"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_CREATED = "order.created"
    ORDER_DELIVERED = "order.delivered"
    ORDER_DISPENSED = "order.dispensed"
    ORDER_EXPIRED = "order.expired"
    ORDER_LIST_READ = "order.list_read"
    ORDER_PAID = "order.paid"
    ORDER_READ = "order.read"
    ORDER_REFUNDED = "order.refunded"
    ORDER_SHIPPED = "order.shipped"
    PAYMENT_AUTHORIZATION_CANCELLED = "payment.authorization_cancelled"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_INTENT_CREATED = "payment.intent_created"
    PAYMENT_STRAY_INTENT_CANCELLED = "payment.stray_intent_cancelled"
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
