"""CPU time a run costs, read from /proc: the server's processes (its master and workers, found by
their process group and, should a worker leave the group, as descendants of the master) and the
PostgreSQL backends serving the bench database. CPU per request stays stable when the machine is
shared, unlike requests per second."""

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


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def descendants(parents: dict[int, int], root: int) -> set[int]:
    """Every process below `root` in the tree given as {pid: parent pid}."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def server(pid: int) -> list[int]:
    """A server started in a session of its own (pid leads its process group): the group, and any
    descendant that left it. gunicorn forks its workers; granian starts them with multiprocessing
    (forked on Linux): both stay in the group, which this does not take on trust."""
    parents = {int(e.name): parent for e in Path("/proc").iterdir()
               if e.name.isdigit() and (parent := _parent(int(e.name))) is not None}
    return sorted(set(group(pid)) | {pid} | descendants(parents, pid))


def sample(pids: list[int]) -> dict[int, int]:
    return {pid: ticks for pid in pids if (ticks := _ticks(pid)) is not None}


def spent_us(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU µs between two samples; a process that started in between counts from zero."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks * 1e6 / TICKS
