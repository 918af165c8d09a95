"""Run localstripe on loopback with no shared state file: `python -P localstripe_server.py PORT`.

localstripe is GPL-licensed, so it runs as its own process and is never imported by rxloop
or by the test process. Out of the box its store reloads, and rewrites on every change, one
fixed pickle in the system temp folder shared by everything on the machine, and it listens
on all interfaces: here it keeps its state in memory and listens on 127.0.0.1 only.

Where localstripe differs from Stripe in what rxloop relies on, it is made to answer as Stripe
does here (never in rxloop's gateway): a PaymentIntent shows `amount_capturable` and
`amount_received` (derived from its charge; a partial capture there refunds the uncaptured rest
at once, so after later refunds the derived amount_received is too low), and the intent list
takes Stripe's `created[gte]` filter, newest first.

Two routes are added for the test plugin (localstripe's own stay as they are):
`GET /_config/rxloop/pid` (which process answers on this port) and
`DELETE /_config/rxloop/webhooks` (forget registered webhooks: `DELETE /_config/data` keeps them).
"""

import os
import sys
from pathlib import Path

# This folder holds the plugin `localstripe.py`, which would shadow the real package when the
# script is run as a file without -P.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from aiohttp import web  # noqa: E402
from localstripe import resources, server, webhooks  # noqa: E402

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None


def _charge(intent) -> dict:
    charge = intent.latest_charge
    return {"amount": getattr(charge, "amount", 0) or 0,
            "amount_refunded": getattr(charge, "amount_refunded", 0) or 0}


def _amount_capturable(intent) -> int:
    return intent.amount if intent.status == "requires_capture" else 0


def _amount_received(intent) -> int:
    if intent.status != "succeeded":
        return 0
    charge = _charge(intent)
    return charge["amount"] - charge["amount_refunded"]


_list_all = resources.PaymentIntent._api_list_all.__func__


def _list_intents(cls, url, limit=None, starting_after=None, created=None, **kwargs):
    listed = _list_all(cls, url, limit=limit, starting_after=starting_after, **kwargs)
    since = int(created["gte"]) if isinstance(created, dict) and "gte" in created else None
    listed._list = sorted((i for i in listed._list if since is None or i.created >= since),
                          key=lambda i: i.created, reverse=True)
    return listed


resources.PaymentIntent.amount_capturable = property(_amount_capturable)
resources.PaymentIntent.amount_received = property(_amount_received)
resources.PaymentIntent._api_list_all = classmethod(_list_intents)


async def pid(request):
    return web.json_response({"pid": os.getpid()})


async def forget_webhooks(request):
    webhooks._webhooks.clear()
    return web.Response()


def main() -> None:
    port = int(sys.argv[1])
    server.app.router.add_get("/_config/rxloop/pid", pid)
    server.app.router.add_delete("/_config/rxloop/webhooks", forget_webhooks)
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None,
                shutdown_timeout=2)


if __name__ == "__main__":
    main()
