"""A Python client generated from the OpenAPI document (openapi-python-client, the `client` extra)
drives the patient's loop: sign up, sign in, search, cart, checkout and pay for an OTC medicine.

A document the generator warns about, or whose client cannot walk the loop, fails the build.
The client talks to the test app through httpx's WSGI transport (the same app and rolled-back
transaction as every test); the generated code goes to a temporary folder, never the repository.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories.shop import ADDRESS, make_product
from tests.plugins.localstripe import confirm_card
from tests.support.webhooks import deliver, intent_object

PACKAGE = "rxloop_client"


@pytest.fixture(scope="module")
def generated(app, tmp_path_factory):
    """The client package generated from the app's own document, imported."""
    folder = tmp_path_factory.mktemp("generated-client")
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(app.test_client().get("/api/openapi.json").json))
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [bin_dir / "openapi-python-client", "generate", "--path", spec, "--output-path", folder / PACKAGE,
         "--meta", "none", "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, cwd=folder,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def connect(app, generated, token: str | None = None):
    transport = {"transport": httpx.WSGITransport(app=app)}
    if token is None:
        return generated.Client(base_url="http://rxloop.test", httpx_args=transport, raise_on_unexpected_status=True)
    return generated.AuthenticatedClient(base_url="http://rxloop.test", token=token, httpx_args=transport,
                                         raise_on_unexpected_status=True)


def test_the_generated_client_walks_the_patients_loop_to_a_paid_order(
        app, session, client, generated, stripe_on, stripe_gateway, localstripe_url):
    product = make_product(session, "paracetamol-500mg-tab", pack_size=20, price=1200, stock=10)
    models = module("models")
    anonymous = connect(app, generated)

    registration = models.Registration.from_dict({
        "email": "wang.fang@example.com", "password": "a long enough passphrase", "full_name": "Wang Fang",
        "birth_date": "1990-04-12", "sex": "female"})
    registered = module("api.patients.register").sync_detailed(client=anonymous, body=registration)
    assert registered.status_code == 201
    assert registered.parsed.role == "patient"

    token = module("api.identity.token").sync(client=anonymous, body=models.TokenRequest.from_dict(
        {"email": "wang.fang@example.com", "password": "a long enough passphrase"}))
    assert token.token_type == "Bearer"
    patient = connect(app, generated, token.access_token)

    page = module("api.catalog.search_products").sync(client=patient, q="paracetamol")
    found = next(item for item in page.items if item.id == product.id)
    assert (found.price.amount, found.price.currency, found.needs_prescription) == (1200, "cny", False)

    cart = module("api.cart.put_cart_item").sync(client=patient, product_id=found.id,
                                                  body=models.CartItemIn.from_dict({"quantity": 2}))
    assert (cart.lines[0].quantity, cart.total.amount, cart.total.currency) == (2, 2400, "cny")

    checkout = module("api.orders.checkout").sync_detailed(
        client=patient, idempotency_key="generated-client-0001",
        body=models.OrderIn.from_dict({"shipping_address": ADDRESS}))
    assert checkout.status_code == 201
    order = checkout.parsed
    assert (order.status, order.total.amount, order.items[0].subtotal.amount) == ("pending_payment", 2400, 2400)

    # The patient pays with a test card (Stripe.js's part); Stripe tells the server (the webhook's part).
    confirm_card(localstripe_url, order.payment.payment_intent_id)
    deliver(client, "payment_intent.amount_capturable_updated",
            intent_object(stripe_gateway, order.payment.payment_intent_id))

    paid = module("api.orders.get_order").sync(client=patient, order_id=order.id)
    assert (paid.status, paid.payment.status) == ("paid", "authorized")


def test_the_generated_client_reads_a_refusal_as_a_problem(app, session, generated, login_as):
    patient = login_as("patient")
    answer = module("api.orders.get_order").sync_detailed(client=connect(app, generated, patient.token),
                                                          order_id="no-such-order")
    assert answer.status_code == 404
    assert isinstance(answer.parsed, module("models").Problem)
    assert (answer.parsed.type_, answer.parsed.status) == ("/problems/not-found", 404)
