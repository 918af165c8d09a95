"""pytest plugin: a real localstripe per test worker, and what a patient's browser and Stripe do to it.

Loaded with `-p tests.plugins.localstripe` (pyproject's addopts does it). Light to import:
stripe and rxloop are imported only when a fixture or helper needs them, and localstripe
(GPL) never: it runs as a subprocess, see localstripe_server.py.
"""

import importlib.util
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).with_name("localstripe_server.py")
START_TIMEOUT_SECONDS = 15
TEST_WEBHOOK_SECRET = "whsec_test_rxloop"
BROWSER_KEY = "sk_test_rxloop_browser"  # localstripe wants a secret key where Stripe.js uses the publishable one
VISA = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # localstripe: accepted when attached, declined (402 card_declined) on confirm


class LocalstripeError(RuntimeError):
    """localstripe answered a helper's request with an error that is not a card decline."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"localstripe answered {status}: {body}")
        self.status, self.body = status, body


# ---- the server ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """"http://127.0.0.1:PORT" of a localstripe started for this session (each xdist worker its own)."""
    missing = [name for name in ("localstripe", "aiohttp") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"localstripe cannot start: {', '.join(missing)} not installed (pip install -e '.[test]')")
    log_path = tmp_path_factory.mktemp("localstripe") / "server.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe nobody reads would stall the server
        process, url = _start(log, log_path)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(log, log_path: Path) -> tuple[subprocess.Popen, str]:
    for _ in range(3):  # a port picked free can be taken before the launcher binds it: then try another
        port = _free_port()
        # -P: the launcher's folder is not put on sys.path, where this module would shadow localstripe.
        process = subprocess.Popen([sys.executable, "-P", str(LAUNCHER), str(port)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(url, process.pid):
                return process, url
            time.sleep(0.05)  # polling readiness, bounded by the deadline
        if process.poll() is None:
            process.kill()
            process.wait()
            break
    raise RuntimeError(f"localstripe did not start; its log ({log_path}) ends:\n"
                       f"{log_path.read_text(errors='replace')[-2000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str, pid: int) -> bool:
    """Whether our launcher (not another process that took the port) answers on `url`."""
    try:
        with urllib.request.urlopen(f"{url}/_config/rxloop/pid", timeout=0.5) as response:
            return json.load(response).get("pid") == pid
    except urllib.error.HTTPError as other:
        other.close()
        return False
    except (OSError, ValueError):
        return False


def reset_localstripe(url: str) -> None:
    """Forget every object and every registered webhook."""
    _call("DELETE", f"{url}/_config/data")
    _call("DELETE", f"{url}/_config/rxloop/webhooks")


@pytest.fixture
def stripe_gateway(localstripe_url):
    """A StripeGateway on a cleared localstripe, with its own random test key."""
    from shop.stripe_gateway import StripeGateway

    reset_localstripe(localstripe_url)
    gateway = StripeGateway(secret_key=f"sk_test_{secrets.token_hex(12)}", api_base=localstripe_url,
                            webhook_secret=TEST_WEBHOOK_SECRET, timeout=5)
    yield gateway
    gateway.close()


def _call(method: str, url: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Authorization": f"Bearer {BROWSER_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.HTTPError as refused:
        with refused:
            raw = refused.read()
        try:
            error = json.loads(raw)
        except ValueError:
            error = {"error": {"message": raw.decode(errors="replace")[:500]}}
        raise LocalstripeError(refused.code, error) from None
    return json.loads(raw) if raw.strip() else {}


# ---- what the patient's browser does -------------------------------------------------

def confirm_card(url: str, intent_id: str, card: str = VISA) -> dict:
    """Pay an intent with a card, as Stripe.js would; returns the intent as localstripe shows it.

    `card` is a test card number (a PaymentMethod is created with it) or a `pm_card_*` id.
    localstripe cannot confirm with a payment method (500 "Not implemented") nor with the
    publishable key, so the card is set on the intent first, then it is confirmed with no
    arguments. A declined card raises shop.stripe_gateway.PaymentDeclined, as the gateway would."""
    from shop.stripe_gateway import PaymentDeclined

    if card.startswith("pm_"):
        payment_method = card
    else:
        payment_method = _call("POST", f"{url}/v1/payment_methods", {
            "type": "card", "card[number]": card, "card[exp_month]": "12",
            "card[exp_year]": str(time.gmtime().tm_year + 3), "card[cvc]": "123"})["id"]
    _call("POST", f"{url}/v1/payment_intents/{intent_id}", {"payment_method": payment_method})
    try:
        return _call("POST", f"{url}/v1/payment_intents/{intent_id}/confirm")
    except LocalstripeError as refused:
        if refused.status != 402:
            raise
        error = refused.body.get("error", {})
        raise PaymentDeclined(error.get("message") or "The card was declined.", code=error.get("code"),
                              decline_code=error.get("decline_code")) from None


def confirm_declined_card(url: str, intent_id: str, card: str = DECLINED_CARD):
    """Pay with a card the provider declines; returns the PaymentDeclined (fails if it was accepted).
    In localstripe 4000000000000341 and pm_card_chargeCustomerFail decline; 4000000000000002 does not."""
    from shop.stripe_gateway import PaymentDeclined

    try:
        confirm_card(url, intent_id, card)
    except PaymentDeclined as declined:
        return declined
    raise AssertionError(f"card {card} was accepted; a decline was expected")


# ---- what Stripe does: webhooks ------------------------------------------------------

def register_webhook(url: str, target_url: str, secret: str, events=None, name: str = "rxloop") -> None:
    """Have localstripe deliver events (~1 s after they happen, once, no retries) to `target_url`."""
    data = {"url": target_url, "secret": secret}
    if events:
        data["events[]"] = list(events)  # localstripe reads a list only from `name[]` fields
    _call("POST", f"{url}/_config/webhooks/{name}", data)


def sign_event(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, made by stripe's own signing function."""
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=timestamp)


@dataclass(frozen=True)
class Delivery:
    payload: bytes
    signature: str
    event: dict


class WebhookInbox:
    """A small HTTP server on loopback that keeps every webhook delivered to it."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        inbox = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                inbox._keep(Delivery(payload, self.headers.get("Stripe-Signature", ""), json.loads(payload)))

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/stripe/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="webhook-inbox", daemon=True)
        self._thread.start()

    def _keep(self, delivery: Delivery) -> None:
        with self._arrived:
            self.deliveries.append(delivery)
            self._arrived.notify_all()

    def wait_for(self, event_type: str, object_id: str, timeout: float = 10) -> Delivery:
        """The first delivery of `event_type` about `object_id`, waiting at most `timeout` seconds.
        (An earlier test's event may still arrive here: localstripe sends each ~1 s late.)"""

        def match():
            return next((d for d in self.deliveries if d.event.get("type") == event_type
                         and d.event.get("data", {}).get("object", {}).get("id") == object_id), None)

        with self._arrived:
            if not self._arrived.wait_for(match, timeout=timeout):
                seen = [d.event.get("type") for d in self.deliveries]
                raise AssertionError(f"no {event_type} for {object_id} within {timeout} s (received: {seen})")
            return match()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def webhook_inbox():
    """A WebhookInbox: register its `url` with register_webhook, then `wait_for(type, object_id)`."""
    inbox = WebhookInbox()
    yield inbox
    inbox.close()
