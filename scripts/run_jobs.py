"""`make run`'s background jobs without Redis or Celery: every job of worker.JOBS on its interval, in one process.

The reconcile job runs every few seconds here (the worker's is two minutes): localstripe sends no event when a
card is authorized, so it is what shows a patient's order paid soon after they pay by test card.
"""

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.app import create_app  # noqa: E402
from worker import JOBS, run_job  # noqa: E402

FASTER = {"reconcile-payments": 5.0}  # seconds, for a local demo
log = logging.getLogger("rxloop.jobs")


def main() -> None:
    app = create_app()
    due = {name: 0.0 for name in JOBS}
    while True:
        for name, (_job, every) in JOBS.items():
            if time.monotonic() >= due[name]:
                try:
                    run_job(app, name)
                except Exception:  # a job that failed is tried again at its next turn
                    log.exception("job failed", extra={"job": name})
                due[name] = time.monotonic() + FASTER.get(name, every)
        time.sleep(1.0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
