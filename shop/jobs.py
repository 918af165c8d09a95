"""The shop's background jobs: plain functions of a session, run by the worker (worker.py) on a
schedule and by `flask expire-orders` / `flask reconcile-payments` by hand."""

from sqlalchemy.orm import Session

from shop import orders, payments, reconcile


def expire_orders(*, session: Session) -> int:
    return orders.expire_unpaid(session=session)


def reconcile_payments(*, session: Session) -> int:
    if not payments.enabled():
        return 0
    return sum(reconcile.reconcile(session=session).values())


# name -> (job, seconds between runs)
JOBS = {"expire-orders": (expire_orders, 60.0), "reconcile-payments": (reconcile_payments, 120.0)}
