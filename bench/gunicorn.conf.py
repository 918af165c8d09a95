"""gunicorn for the benchmark on 2 cores: 4 processes × 4 threads (gthread), keep-alive on.

Measured here (bench/README.md): with keep-alive, each process keeps the connections it
accepted, so 2 processes × 8 threads often left one process (one core) serving most of
wrk's 16 connections, and throughput swung 2× between runs. 4 × 4 spreads them, and
while one process waits on PostgreSQL another runs. gevent gave p99 over 1 s here
(../shared/STACK.md) and sync workers close every connection: neither is used.
"""

import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8100")
workers = 4
worker_class = "gthread"
threads = 4
keepalive = 5
backlog = 512
accesslog = None
errorlog = "-"
loglevel = "warning"
