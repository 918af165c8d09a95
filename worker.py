"""The background worker, beside wsgi.py: `celery -A worker worker` and `celery -A worker beat`.

A composition root like wsgi.py: it builds the Flask app and schedules each context's jobs,
which are plain functions of a session. Without REDIS_URL tasks run eagerly in-process (the
embedded default); `flask expire-orders` and friends run the same jobs by hand.
"""

import logging

from celery import Celery
from celery.signals import setup_logging

from consult import jobs as consult_jobs
from core import jobs as core_jobs
from core.db import unit_of_work
from fhir_api import jobs as fhir_jobs
from shop import jobs as shop_jobs

log = logging.getLogger("rxloop.jobs")

JOBS = {**core_jobs.JOBS, **consult_jobs.JOBS, **shop_jobs.JOBS, **fhir_jobs.JOBS}


@setup_logging.connect
def _leave_logging_to_the_app(**_kwargs):
    """With a receiver here Celery configures no logging of its own: its lines (a failed task's
    traceback among them) go through the app's JSON handler and its allow-list (core/logs.py)."""


def run_job(app, name: str) -> int:
    """Run one job in its own unit of work (jobs that need several commit their own steps)."""
    job, _every = JOBS[name]
    with app.app_context(), unit_of_work(app) as session:
        return job(session=session)


def make_celery(app) -> Celery:
    """Celery on REDIS_URL; without it, tasks run eagerly in-process."""
    broker = app.config["REDIS_URL"]
    celery = Celery("rxloop", broker=broker or "memory://", backend=None)
    celery.conf.update(task_always_eager=not broker, task_ignore_result=True, timezone="UTC",
                       broker_connection_retry_on_startup=True,
                       beat_schedule={name: {"task": f"rxloop.{name}", "schedule": every}
                                      for name, (_job, every) in JOBS.items()})
    for name in JOBS:
        def run(name=name):
            count = run_job(app, name)
            log.info("job done", extra={"job": name, "count": count})
            return count

        celery.task(name=f"rxloop.{name}")(run)
    return celery


_celery = None


def __getattr__(name):
    # `celery -A worker` looks up `worker.app` (or `.celery`): build it on first use, so
    # importing this module (tests) starts nothing.
    global _celery
    if name in ("app", "celery"):
        if _celery is None:
            from core.app import create_app

            _celery = make_celery(create_app())
        return _celery
    raise AttributeError(name)
