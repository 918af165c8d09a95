"""granian is started in the shape bench/gunicorn.conf.py gives gunicorn, so the comparison compares servers."""

import runpy
from pathlib import Path

from bench import servers
from bench.run import turns


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_granian_has_gunicorn_s_processes_threads_connections_and_backlog():
    gunicorn = runpy.run_path(str(servers.GUNICORN_CONF))
    granian = servers.command("granian", bin_dir=Path("/venv/bin"), app="wsgi:app", port=8123)
    assert int(option(granian, "--workers")) == gunicorn["workers"]
    assert int(option(granian, "--blocking-threads")) == gunicorn["threads"]
    assert int(option(granian, "--backlog")) == gunicorn["backlog"]
    assert option(granian, "--interface") == "wsgi"
    assert "--no-access-log" in granian and gunicorn["accesslog"] is None
    assert (option(granian, "--host"), option(granian, "--port"), granian[-1]) == ("127.0.0.1", "8123", "wsgi:app")


def test_granian_accepts_every_connection_a_worker_is_handed():
    # Its workers listen on sockets of their own: a per-worker cap like gunicorn's worker_connections
    # leaves the connections hashed to a full worker unaccepted (bench/servers.py).
    granian = servers.command("granian", bin_dir=Path("/venv/bin"), app="wsgi:app", port=8123)
    assert "--backpressure" not in granian


def test_gunicorn_reads_the_bench_configuration():
    command = servers.command("gunicorn", bin_dir=Path("/venv/bin"), app="bench.hello:app", port=8123)
    assert command == ["/venv/bin/gunicorn", "-c", str(servers.GUNICORN_CONF), "bench.hello:app"]


def test_the_server_driven_first_turns_from_one_scenario_to_the_next():
    kinds = ["gunicorn", "granian"]
    assert [turns(kinds, turn) for turn in range(3)] == [
        ["gunicorn", "granian"], ["granian", "gunicorn"], ["gunicorn", "granian"]]
    assert turns(["gunicorn"], 5) == ["gunicorn"]
