"""Signed Stripe webhook deliveries, as Stripe makes them."""

import json
import time
import uuid

from tests.plugins.localstripe import sign_event

WEBHOOK_SECRET = "whsec_test_rxloop"


def deliver(client, event_type, obj, *, event_id=None, timestamp=None, secret=WEBHOOK_SECRET):
    """POST a Stripe event to the webhook as Stripe would: JSON bytes and a real signature."""
    event = {"id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": event_type,
             "created": int(time.time()), "data": {"object": obj}}
    payload = json.dumps(event).encode()
    header = sign_event(payload, secret, timestamp=timestamp)
    return client.flask.post("/api/v1/payments/stripe/webhook", data=payload,
                             headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def intent_object(gateway, intent_id) -> dict:
    intent = gateway.retrieve_intent(intent_id)
    return {"object": "payment_intent", "id": intent.id, "status": intent.status, "amount": intent.amount,
            "amount_capturable": intent.amount_capturable, "amount_received": intent.amount_received,
            "currency": intent.currency, "metadata": intent.metadata}
