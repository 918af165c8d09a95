"""The WSGI servers the bench drives, each in the same shape: 4 processes × 4 threads (at most 4
requests in the app per process), keep-alive on, HTTP/1.1.

gunicorn (production's server) reads bench/gunicorn.conf.py. granian gets the same shape from its
own options: --workers 4 (processes); --blocking-threads 4 (the Python threads that run the app in
each process, gunicorn's gthread `threads`: at most 4 requests in the app per process); one Rust
runtime thread per process for the sockets (its default); the same backlog; no access log (the app
writes its own JSON access line, core/logs.py), as gunicorn's `accesslog = None`.

gunicorn's `worker_connections = 4` has no granian twin. Its workers share one listening socket, so a
connection one worker will not take waits for another. granian's workers each listen on a socket of
their own (SO_REUSEPORT: the kernel hashes each new connection to one of them), and --backpressure
caps the connections a worker accepts: with --backpressure 4, the connections hashed to a full
worker were never accepted while wrk's keep-alive connections stayed open (measured: 3 of 16 sat in
one worker's queue for a whole run). So granian keeps its default backpressure (backlog ÷ workers),
above any run's connection count, and --blocking-threads bounds the work in the app, as granian's
documentation advises. The kernel's hash still spreads connections unevenly (16 of wrk's came to
6/5/4/1, 7/5/3/1 and 8/5/3/0 a worker in three runs), where gunicorn gives each worker exactly 4.
"""

from pathlib import Path

KINDS = ("gunicorn", "granian")  # gunicorn first: production's server, whose runs make the main table
PROCESSES = 4
THREADS = 4
BACKLOG = 512
GUNICORN_CONF = Path(__file__).resolve().parent / "gunicorn.conf.py"


def parse_kinds(value: str) -> list[str]:
    """`--servers gunicorn,granian`: known servers, each once, gunicorn among them (the main table's)."""
    kinds = [kind.strip() for kind in value.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown server {', '.join(unknown)} (known: {', '.join(KINDS)})")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"a server named twice in {value!r}")
    if "gunicorn" not in kinds:
        raise ValueError("gunicorn must be among the servers: the main table is production's server")
    return sorted(kinds, key=KINDS.index)


def command(kind: str, *, bin_dir: Path, app: str, port: int) -> list[str]:
    """The command line that serves `app` ("module:attribute") on 127.0.0.1:`port`.
    gunicorn takes its address from BENCH_BIND (bench/gunicorn.conf.py), which run.py sets too."""
    if kind == "gunicorn":
        return [str(bin_dir / "gunicorn"), "-c", str(GUNICORN_CONF), app]
    if kind == "granian":
        return [str(bin_dir / "granian"), "--interface", "wsgi", "--http", "1", "--no-ws",
                "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(PROCESSES), "--blocking-threads", str(THREADS),
                "--runtime-threads", "1",
                "--backlog", str(BACKLOG), "--no-access-log", "--log-level", "warning", app]
    raise ValueError(f"unknown server {kind}")
