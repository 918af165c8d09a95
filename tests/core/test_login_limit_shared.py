"""With REDIS_URL set the login limit holds across processes: two app instances, each in a
process of its own (as two gunicorn workers or hosts), share one allowance through Redis."""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]

# One app instance in a fresh interpreter: `attempts` logins from one client, statuses printed.
INSTANCE = """
import json, sys
from tests.conftest import TEST_CONFIG
from core.app import create_app
database_url, redis_url, prefix, attempts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                  "RATELIMIT_KEY_PREFIX": prefix})
client = app.test_client()
statuses = [client.post("/api/v1/auth/token", environ_base={"REMOTE_ADDR": "192.0.2.44"},
                        json={"email": "shared.limit@example.test", "password": "a wrong guess"}).status_code
            for _ in range(attempts)]
print(json.dumps(statuses))
"""


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def run_instance(database_url: str, redis_url: str, prefix: str, attempts: int) -> list[int]:
    done = subprocess.run([sys.executable, "-c", INSTANCE, database_url, redis_url, prefix, str(attempts)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not redis_is_up(), reason="no Redis on 127.0.0.1:6379")
def test_two_processes_share_one_login_allowance_through_redis(app, database_url):
    prefix = f"rxloop-test-{uuid.uuid4().hex[:8]}"  # this run's keys only, whoever else uses the server
    first = run_instance(database_url, REDIS_URL, prefix, 6)
    second = run_instance(database_url, REDIS_URL, prefix, 5)
    assert first == [401] * 6
    assert second == [401] * 4 + [429]  # the 11th attempt overall, though this process made only 5

