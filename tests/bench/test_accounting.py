"""The bench's own accounting: CPU time per request and the check that every 201 is a new order."""

import os
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
