"""The bench's own accounting: CPU time per request and the check that every 201 is a new order."""

import os
import subprocess
import sys
from types import SimpleNamespace

from bench import cpu
from bench.run import honest


def test_cpu_time_counts_a_process_that_started_during_the_run_from_zero():
    before = {1: 100, 2: 50}
    after = {1: 160, 2: 50, 3: 40}  # 3 started (a new backend); a process that exited is simply absent
    assert cpu.spent_us(before, after) == (60 + 0 + 40) * 1e6 / cpu.TICKS


def test_this_process_is_found_in_its_group_and_has_spent_cpu():
    pids = cpu.group(os.getpgid(0))
    assert os.getpid() in pids
    assert cpu.sample([os.getpid()])[os.getpid()] >= 0


def test_a_replayed_checkout_is_not_honest():
    options = SimpleNamespace(connections=16)
    assert honest({"orders_created": 100, "created": 100}, options)
    assert honest({"orders_created": 110, "created": 100}, options)  # in flight when wrk stopped
    assert not honest({"orders_created": 60, "created": 100}, options)  # 40 replays answered 201
    assert not honest({"orders_created": 130, "created": 100}, options)


def test_a_server_s_processes_are_every_descendant_of_its_master():
    parents = {10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20}  # 13: a worker's child; 20 and 21: another tree
    assert cpu.descendants(parents, 10) == {11, 12, 13}


def test_a_worker_that_left_its_server_s_process_group_is_still_counted():
    # The master starts a worker that makes a session of its own and says its pid once it has.
    worker = "import os, sys, time; os.setsid(); print(os.getpid(), flush=True); sys.stdin.read()"
    master = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {worker!r}])"
    with subprocess.Popen([sys.executable, "-c", master], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          start_new_session=True, text=True) as server:
        worker_pid = int(server.stdout.readline())
        assert worker_pid not in cpu.group(server.pid)
        assert {server.pid, worker_pid} <= set(cpu.server(server.pid))
        server.stdin.close()  # the worker reads to the end of its input, then both exit
