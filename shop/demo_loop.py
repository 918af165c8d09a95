"""The loop, told in plain words: drives a running rxloop over HTTP with the demo accounts.

Patient → refused at checkout → consultation → doctor prescribes → pharmacist approves →
checkout → card authorized → pharmacist dispenses (capture) → shipped → delivered.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from consult.demo import PASSWORD


class Step(Exception):
    pass


class Client:
    def __init__(self, base_url: str, echo):
        self.base, self.echo, self.token = base_url.rstrip("/"), echo, None

    def call(self, method, path, body=None, headers=None, expect=(200, 201)):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        result = json.loads(payload) if payload else None
        if status not in expect:
            raise Step(f"{method} {path} answered {status}: {result}")
        return status, result

    def login(self, email):
        _, token = self.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
        self.token = token["access_token"]
        return self


def run(base_url: str, echo=print, stripe_api_base: str | None = None, wait_seconds: float = 5,
        reconcile=None) -> None:
    say = lambda who, what: echo(f"  {who:<11} {what}")  # noqa: E731
    patient = Client(base_url, echo).login("zhang.san@rxloop.test")
    doctor = Client(base_url, echo).login("dr.li@rxloop.test")
    pharmacist = Client(base_url, echo).login("ph.wang@rxloop.test")
    admin = Client(base_url, echo).login("admin@rxloop.test")

    echo("1. The patient looks for amoxicillin and tries to buy it")
    _, page = patient.call("GET", "/api/v1/products?q=amoxicillin&rx_class=rx")
    product = next(p for p in page["items"] if p["drug"]["generic_name"].lower() == "amoxicillin")
    say("patient", f"found {product['name']} ({product['pack_size']} units, ¥{product['price']['amount'] / 100:.2f}), "
                   f"{product['available_quantity']} in stock; notice: {product['risk_notice']}")
    address = {"name": "Zhang San", "line1": "1 Jianguo Rd", "city": "Beijing", "postal_code": "100000",
               "country": "CN"}
    order_body = {"items": [{"product_id": product["id"], "quantity": 1}], "shipping_address": address}
    _, refusal = patient.call("POST", "/api/v1/orders", order_body,
                              headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"}, expect=(409,))
    say("rxloop", f"409 {refusal['title']}: {refusal['detail']}")
    consultation_request = refusal["consultation_request"]
    patient_knows = {"prior_diagnosis": {"code": "J03.9", "display": "Acute tonsillitis"},
                     "prior_diagnosis_evidence": {"institution": "Beijing Chaoyang Hospital", "date": "2026-10-14",
                                                  "document_reference": "OP-2026-1014-0032"}}
    say("rxloop", f"to open a consultation, add: {', '.join(refusal['consultation_request_missing']) or 'nothing'}")

    echo("2. The patient opens a follow-up consultation: the refusal's ready body and the fields it asked for")
    _, consultation = patient.call("POST", refusal["consultation_url"], {
        **consultation_request, "symptoms": ["sore throat", "fever"],
        **{name: patient_knows[name] for name in refusal["consultation_request_missing"]}})
    say("patient", f"consultation {consultation['id']}: status {consultation['status']}")

    echo("3. A doctor accepts it, confirms the offline diagnosis on record, and prescribes")
    _, accepted = doctor.call("POST", f"/api/v1/consultations/{consultation['id']}/accept")
    say("Dr Li", f"accepted: waiting → {accepted['status']}")
    _, confirmed = doctor.call("POST", f"/api/v1/consultations/{consultation['id']}/prior-diagnosis/confirm")
    evidence = confirmed["prior_diagnosis_evidence"]
    say("Dr Li", f"confirmed the prior diagnosis ({evidence['institution']}, {evidence['date']}, "
                 f"{evidence['document_reference']})")
    _, shown = doctor.call("GET", f"/api/v1/consultations/{consultation['id']}")
    wanted = shown["requested_products"][0]
    say("Dr Li", f"the patient asks for {wanted['packs']} pack(s) of {wanted['name']} ({wanted['pack_size']} each)")
    _, draft = doctor.call("POST", f"/api/v1/consultations/{consultation['id']}/prescriptions", {
        "diagnosis": {"code": "J03.9", "display": "Acute tonsillitis"},
        "items": [{"product_id": wanted["product_id"], "packs": wanted["packs"], "dose": 500, "dose_unit": "mg",
                   "frequency_per_day": 3, "route": "oral", "days_supply": 7, "refills": 0,
                   "instructions": "One capsule three times a day for 7 days."}]})
    say("Dr Li", f"drafted {draft['id']}: {len(draft['safety']['blocking'])} blocking, "
                 f"{len(draft['safety']['warnings'])} warning finding(s)")
    sign = {"override_reason": "Reviewed: benefit outweighs the flagged risk."} if draft["safety"]["warnings"] else {}
    _, signed = doctor.call("POST", f"/api/v1/prescriptions/{draft['id']}/sign", sign)
    say("Dr Li", f"signed: draft → {signed['status']}, valid until {signed['valid_until']}")

    echo("4. A pharmacist reviews and approves")
    pharmacist.call("POST", f"/api/v1/prescriptions/{draft['id']}/claim")
    _, approved = pharmacist.call("POST", f"/api/v1/prescriptions/{draft['id']}/approve",
                                  {"note": "Dose and duration appropriate."})
    say("Wang Fang", f"approved: pending_review → {approved['status']}")

    echo("5. The patient checks out again")
    _, order = patient.call("POST", "/api/v1/orders", order_body, headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"})
    say("patient", f"order {order['id']}: {order['status']}, total ¥{order['total']['amount'] / 100:.2f}")
    intent = order["payment"]["payment_intent_id"]
    if not intent or not stripe_api_base:
        echo("   (payments are not configured: start the server with STRIPE_* set — see `make demo`)")
        return

    echo("6. The patient's card is authorized (the client confirms the PaymentIntent)")
    for path, form in ((f"/v1/payment_intents/{intent}", {"payment_method": "pm_card_visa"}),
                       (f"/v1/payment_intents/{intent}/confirm", {})):
        confirm = urllib.request.Request(stripe_api_base.rstrip("/") + path, method="POST",
                                         data=urllib.parse.urlencode(form).encode())
        confirm.add_header("Authorization", "Bearer sk_test_demo")
        urllib.request.urlopen(confirm, timeout=30).read()
    say("patient", "card 4242… confirmed in the browser (authorized, not charged)")
    deadline = time.monotonic() + wait_seconds
    while True:  # a provider's webhook arrives on its own, about a second later
        _, order = patient.call("GET", f"/api/v1/orders/{order['id']}")
        if order["status"] == "paid" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if order["status"] != "paid" and reconcile is not None:
        # localstripe sends no event for an authorization (only for a capture): the
        # reconcile job, which the worker runs every two minutes, asks the provider instead.
        say("worker", f"no webhook yet: the reconcile job asked the provider ({reconcile()} order(s) updated)")
        _, order = patient.call("GET", f"/api/v1/orders/{order['id']}")
    say("Stripe", f"authorization applied: pending_payment → {order['status']} "
                  f"(payment {order['payment']['status']})")
    if order["status"] != "paid":
        raise Step("the payment webhook did not arrive")

    echo("7. The pharmacist dispenses (the payment is captured), ships; the order is delivered")
    _, order = pharmacist.call("POST", f"/api/v1/orders/{order['id']}/dispense")
    lots = ", ".join(f"{lot['lot_number']}×{lot['quantity']}" for lot in order["items"][0]["lots"])
    say("Wang Fang", f"dispensed from lot(s) {lots}: paid → {order['status']}, "
                     f"captured ¥{order['payment']['amount_captured'] / 100:.2f}")
    _, order = pharmacist.call("POST", f"/api/v1/orders/{order['id']}/ship",
                               {"carrier": "SF Express", "tracking_number": "SF1234567890"})
    say("Wang Fang", f"shipped with SF Express: dispensed → {order['status']}")
    _, order = admin.call("POST", f"/api/v1/orders/{order['id']}/deliver")
    say("admin", f"delivered: shipped → {order['status']}")

    echo("8. What is left of the prescription, and the audit chain")
    _, rx = patient.call("GET", f"/api/v1/prescriptions/{draft['id']}")
    say("patient", f"prescription {rx['status']}, {rx['items'][0]['quantity_remaining']} unit(s) left")
    _, verified = admin.call("GET", "/api/v1/audit/verify")
    say("admin", f"audit chain ok={verified['ok']} over {verified['entries']} entries")
