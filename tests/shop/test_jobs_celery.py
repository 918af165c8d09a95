"""A real Celery worker on the machine's Redis runs the expiry job and releases stock."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from core.app import create_app
from core.db import unit_of_work, utcnow
from shop import orders
from worker import make_celery
from shop.models import InventoryLot, Order
from tests.conftest import TEST_CONFIG
from tests.factories.identity import make_user
from tests.factories.shop import ADDRESS, make_product

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_a_celery_worker_expires_unpaid_orders(tmp_path):
    database = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database, "REDIS_URL": REDIS_URL})
    with app.app_context():
        upgrade()
        with unit_of_work(app) as session:
            product = make_product(session, stock=5)
            patient, _ = make_user(session, role="patient")
            order, _, _ = orders.checkout(session=session, user=patient, idempotency_key="celery-job-1",
                                       body={"items": [{"product_id": product.id, "quantity": 2}],
                                             "shipping_address": ADDRESS})
            order.expires_at = utcnow() - timedelta(minutes=1)  # its time is up
            order_id, product_id = order.id, product.id

    env = {**os.environ, "DATABASE_URL": database, "REDIS_URL": REDIS_URL, "SECRET_KEY": "test-secret",
           "STRIPE_SECRET_KEY": "", "RXLOOP_DATA_KEYS": TEST_CONFIG["RXLOOP_DATA_KEYS"]}  # it reads the rows written here
    queue = f"rxloop-test-{os.getpid()}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        celery = make_celery(app)
        celery.send_task("rxloop.expire-orders", queue=queue)
        deadline = time.monotonic() + 30
        while True:  # bounded poll for the worker's side effect (not a wait for time to pass)
            with app.app_context(), unit_of_work(app) as session:
                status = session.scalar(select(Order.status).where(Order.id == order_id))
                reserved = session.scalar(select(InventoryLot.reserved).where(InventoryLot.product_id == product_id))
            if status == "expired" or time.monotonic() > deadline or worker.poll() is not None:
                break
            time.sleep(0.2)
        assert (status, reserved) == ("expired", 0), worker.stderr.read().decode()[-2000:] if worker.poll() else ""
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        worker.stderr.close()
        app.extensions["rxloop.db"].engine.dispose()
