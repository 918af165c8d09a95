"""Background jobs: the same functions run by Celery in production and by CLI commands here."""

import logging

from celery import Celery

from core.db import unit_of_work

log = logging.getLogger("rxloop.jobs")


def expire_orders(app) -> int:
    from shop import fulfilment

    with app.app_context(), unit_of_work(app) as session:
        return fulfilment.expire_unpaid(session)


def expire_prescriptions(app) -> int:
    from consult import prescriptions

    with app.app_context(), unit_of_work(app) as session:
        return prescriptions.expire_due(session)


def reconcile_payments(app) -> int:
    from shop import payments

    with app.app_context(), unit_of_work(app) as session:
        return payments.reconcile(session) if payments.enabled() else 0


JOBS = {"expire-orders": expire_orders, "expire-prescriptions": expire_prescriptions,
        "reconcile-payments": reconcile_payments}


def make_celery(app=None) -> Celery:
    """Celery on REDIS_URL; without it, tasks run eagerly in-process (the embedded default)."""
    if app is None:
        from core.app import create_app

        app = create_app()
    broker = app.config["REDIS_URL"]
    celery = Celery("rxloop", broker=broker or "memory://", backend=None)
    celery.conf.update(task_always_eager=not broker, task_ignore_result=True, timezone="UTC",
                       broker_connection_retry_on_startup=True,
                       beat_schedule={
                           "expire-orders": {"task": "rxloop.expire-orders", "schedule": 60.0},
                           "expire-prescriptions": {"task": "rxloop.expire-prescriptions", "schedule": 300.0},
                           "reconcile-payments": {"task": "rxloop.reconcile-payments", "schedule": 120.0},
                       })
    for name, job in JOBS.items():
        def run(job=job, name=name):
            count = job(app)
            log.info("job done", extra={"job": name, "count": count})
            return count

        celery.task(name=f"rxloop.{name}")(run)
    return celery


_celery = None


def __getattr__(name):
    # `celery -A shop.jobs worker` looks up `shop.jobs.app` (or `.celery`): build it on first
    # use, so importing this module (tests, CLI) starts nothing.
    global _celery
    if name in ("app", "celery"):
        if _celery is None:
            _celery = make_celery()
        return _celery
    raise AttributeError(name)
