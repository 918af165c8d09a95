"""gunicorn for the benchmark on 2 cores: 4 processes × 4 threads (gthread), keep-alive on.

Measured here (bench/README.md): with keep-alive, each process keeps the connections it
accepted, and one process (one core) often ended up serving most of wrk's 16 connections:
throughput swung 2× between runs. worker_connections = threads makes each process take
at most 4, so 16 connections always land on all 4 (and both cores); while one process
waits on PostgreSQL another runs. gevent gave p99 over 1 s here
(../shared/STACK.md) and sync workers close every connection: neither is used.
"""

import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8100")
workers = 4
worker_class = "gthread"
threads = 4
worker_connections = 4
keepalive = 5
backlog = 512
accesslog = None
errorlog = "-"
loglevel = "warning"

# The production limits (../gunicorn.conf.py), so the benchmark serves as production does.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
control_socket_disable = True
