"""The audit log's jobs, sealing and checkpoints: scheduled by worker.py, and by default also
run in the web process after a request when due, so a lone `flask run` seals its own log."""

import logging
import threading
import time

from flask import current_app
from sqlalchemy.orm import Session

from core import audit, signing
from core.db import unit_of_work

log = logging.getLogger("rxloop.audit")


def seal_audit(*, session: Session) -> int:
    return audit.seal(session=session)


def checkpoint_audit(*, session: Session) -> int:
    made = audit.checkpoint(session=session, key=signing.for_app(current_app))
    return made.seq


JOBS = {"seal-audit": (seal_audit, 1.0), "checkpoint-audit": (checkpoint_audit, 300.0)}


class InProcessSealer:
    """Runs the jobs after a request once their interval has passed (per process; a second
    process finding the sealer busy skips its turn)."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.due = {"seal-audit": 0.0, "checkpoint-audit": time.time() + app.config["AUDIT_CHECKPOINT_SECONDS"]}
        self.every = {"seal-audit": app.config["AUDIT_SEAL_SECONDS"],
                      "checkpoint-audit": app.config["AUDIT_CHECKPOINT_SECONDS"]}

    def run_due(self) -> None:
        now = time.time()
        if not any(now >= at for at in self.due.values()) or not self.lock.acquire(blocking=False):
            return
        try:
            for name, at in self.due.items():
                if now >= at:
                    self.due[name] = now + self.every[name]
                    job, _every = JOBS[name]
                    with self.app.app_context(), unit_of_work(self.app) as session:
                        job(session=session)
        except Exception:  # the request is answered already; the next turn tries again
            log.exception("audit sealing failed")
        finally:
            self.lock.release()


def init_app(app) -> None:
    if not app.config["AUDIT_SEAL_IN_PROCESS"]:
        return
    sealer = InProcessSealer(app)
    app.extensions["rxloop.audit_sealer"] = sealer

    @app.after_request
    def _seal_when_due(response):
        # After the response is sent (and the request's unit of work committed), off its latency.
        response.call_on_close(sealer.run_due)
        return response
