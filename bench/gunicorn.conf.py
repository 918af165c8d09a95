"""gunicorn for the benchmark (2 cores): one process per core, threads to cover the connections.

gthread keeps connections alive (sync workers close each one); 2 processes × 8 threads
serve 16 connections at once without queueing them behind the accept loop. gevent was
measured here with p99 over 1 s (../shared/STACK.md) and is not used.
"""

import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8100")
workers = 2
worker_class = "gthread"
threads = 8
keepalive = 5
backlog = 512
accesslog = None
errorlog = "-"
loglevel = "warning"
