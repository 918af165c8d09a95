"""CPU time a run costs, read from /proc: the server's processes (gunicorn's master and workers, found
by their process group) and the PostgreSQL backends serving the bench database. CPU per request stays
stable when the machine is shared, unlike requests per second."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int | None:
    """utime + stime of a process, in clock ticks (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), after pid and comm


def group(pgid: int) -> list[int]:
    """Every process in a process group (the server was started in a session of its own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def sample(pids: list[int]) -> dict[int, int]:
    return {pid: ticks for pid in pids if (ticks := _ticks(pid)) is not None}


def spent_us(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU µs between two samples; a process that started in between counts from zero."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks * 1e6 / TICKS
