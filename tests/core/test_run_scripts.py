"""`make run` and `make demo` (scripts/run.sh, scripts/demo.sh): a busy port is one line, not a traceback."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port():
    """A port something else already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def run(script, **env):
    return subprocess.run([str(ROOT / "scripts" / script)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **{k: str(v) for k, v in env.items()}})


@pytest.mark.parametrize("script", ["run.sh", "demo.sh"])
def test_a_busy_port_fails_with_one_line_and_starts_nothing(script, busy_port):
    result = run(script, PORT=busy_port, STRIPE_PORT=busy_port + 1)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"rxloop: port {busy_port} (PORT) is already in use on 127.0.0.1: stop what uses it, "
        f"or choose another, e.g. PORT={busy_port + 1}"]
    assert "rxloop: serving" not in result.stdout


def test_a_busy_stripe_port_fails_with_one_line(busy_port):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run("run.sh", PORT=port, STRIPE_PORT=busy_port, STRIPE_SECRET_KEY="")
    assert (result.returncode, len(result.stderr.splitlines())) == (1, 1)
    assert f"port {busy_port} (STRIPE_PORT) is already in use" in result.stderr


def test_a_port_that_is_not_a_number_is_one_line_too():
    result = run("run.sh", PORT="eighty")
    assert (result.returncode, result.stderr) == (2, "rxloop: PORT='eighty' is not a port number (1-65535)\n")
