"""The revocation channel: a thread per process LISTENing for the database's notices of changed tokens and users."""

import logging
import os
import select
import threading

import psycopg
from sqlalchemy.engine import URL

from core.identity.token_cache import CHANNEL, EXTENSION, TokenCache

log = logging.getLogger("rxloop.identity")

# Migration 0018's triggers: without them no notice would ever come, so the cache stays off.
TRIGGERS = ("access_tokens_notify_change", "users_notify_change")
RETRY_SECONDS = 2.0


class Listener(threading.Thread):
    """Holds its own connection (not the pool's); the cache is trusted only while it listens."""

    def __init__(self, cache: TokenCache, url: URL):
        super().__init__(name="rxloop-revocations", daemon=True)
        self.cache = cache
        self.conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.stopping = threading.Event()
        self._wake, self._waken = os.pipe()  # stop() writes to it: the wait on the connection ends
        self.backend_pid: int | None = None  # the listening backend (tests end it)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("revocation channel lost (%s): tokens are resolved in the database until it is back",
                            type(exc).__name__)
            finally:
                self.cache.close()
                self.cache.reading(False)
            self.stopping.wait(RETRY_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        os.write(self._waken, b"x")

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, keepalives=1, keepalives_idle=10,
                             keepalives_interval=5, keepalives_count=3) as conn:
            conn.add_notify_handler(lambda notice: self.cache.forget(notice.payload))
            conn.execute(f"LISTEN {CHANNEL}")
            installed = {name for (name,) in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s)", [list(TRIGGERS)])}
            if installed != set(TRIGGERS):
                log.warning("token cache off: the database lacks the revocation triggers (migration 0018)")
                self.stopping.set()
                return
            self.backend_pid = conn.info.backend_pid
            fd = conn.fileno()
            self.cache.open(fd)  # after LISTEN: every commit from here on reaches us
            while not self.stopping.is_set():
                readable, _, _ = select.select([fd, self._wake], [], [], self.cache.heartbeat)
                if self.stopping.is_set():
                    return
                self.cache.reading(True)  # from taking data off the socket until its notices are handled
                if readable:
                    conn.pgconn.consume_input()  # raises when the connection is gone
                    while notice := conn.pgconn.notifies():
                        conn.pgconn.notify_handler(notice)
                    if conn.pgconn.status != psycopg.pq.ConnStatus.OK:
                        raise psycopg.OperationalError("the revocation channel's connection is closed")
                else:
                    conn.execute("SELECT 1")  # a heartbeat: a silently dead link stops being trusted
                self.cache.heard()
                self.cache.reading(False)


HEARTBEAT_SECONDS = 10.0
_starting = threading.Lock()


def cache_for(app) -> TokenCache | None:
    """This process's token cache, its listener started on first use, so after gunicorn forks
    (a process forked from one that had started it starts its own); None when off (TOKEN_CACHE=0,
    or SQLite: no channel to push revocations)."""
    cache = app.extensions.get(EXTENSION)
    if cache is False:
        return None
    if cache is not None and cache.pid == os.getpid():
        return cache
    with _starting:
        cache = app.extensions.get(EXTENSION)
        if cache is not None and cache is not False and cache.pid == os.getpid():
            return cache
        engine = app.extensions["rxloop.db"].engine
        if not app.config["TOKEN_CACHE"] or engine.dialect.name != "postgresql":
            app.extensions[EXTENSION] = False
            return None
        cache = TokenCache(max_age=app.config["TOKEN_CACHE_SECONDS"], max_entries=app.config["TOKEN_CACHE_SIZE"],
                           heartbeat=HEARTBEAT_SECONDS)
        cache.listener = Listener(cache, engine.url)
        cache.listener.start()
        app.extensions[EXTENSION] = cache
        return cache
