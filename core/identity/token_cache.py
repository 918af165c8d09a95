"""Resolved bearer tokens kept in the process, trusted only while revocations reach it (fails closed).

Each worker process keeps, by token digest, the user a token resolved to (a detached snapshot) and
the token's expiry. The database pushes every change to a token or a user (triggers of migration
0018 `pg_notify` on commit) to a listener thread of each process (core/identity/revocations.py),
which drops the matching entries. An entry is used only while that channel is open and nothing
unread waits on it; otherwise every request resolves its token in the database, as without a cache.
"""

import os
import select
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core.db import utcnow
from core.identity.models import User

EXTENSION = "rxloop.token_cache"
CHANNEL = "rxloop_identity"
# Notice payloads (migration 0018): "t:<token digest>", "u:<user id>", "*" (forget everything).
TOKEN_PREFIX, USER_PREFIX, EVERYTHING = "t:", "u:", "*"


@dataclass(frozen=True)
class Entry:
    user: User  # detached; never handed out itself (see attach)
    expires_at: datetime
    filled_at: float  # TokenCache.clock()


class TokenCache:
    """Token digest → Entry, for one process. Safe across the request threads and the listener."""

    def __init__(self, *, max_age: float, max_entries: int, heartbeat: float, clock=time.monotonic):
        self.max_age = max_age
        self.max_entries = max_entries
        self.heartbeat = heartbeat
        self.clock = clock
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._by_user: dict[str, set[str]] = {}
        # Bumped by every notice and every change of the channel's state: a fill is accepted only
        # if the generation is the one taken before the database was read (see generation()).
        self._generation = 0
        self._channel_fd: int | None = None  # the listener's socket, while it listens
        self._heard_at = 0.0  # monotonic time the channel last proved alive
        self._reading = False  # the listener has taken data off the socket and not yet handled it
        self.notices = 0  # notices handled (tests wait on it)
        self.listener = None  # core/identity/revocations.py

    # The listener's side -------------------------------------------------------------------

    def open(self, fd: int) -> None:
        """The channel listens (again): what was kept before may have missed notices."""
        with self._lock:
            self._clear()
            self._channel_fd = fd
            self._heard_at = self.clock()

    def close(self) -> None:
        with self._lock:
            self._clear()
            self._channel_fd = None

    def heard(self) -> None:
        self._heard_at = self.clock()

    def reading(self, reading: bool) -> None:
        """Set before the listener reads its socket, cleared once what it read is handled."""
        self._reading = reading

    def forget(self, payload: str) -> None:
        """A notice: drop what it names, and refuse fills that read the database before it."""
        with self._lock:
            self._generation += 1
            self.notices += 1
            self._heard_at = self.clock()
            if payload.startswith(TOKEN_PREFIX):
                self._drop(payload[len(TOKEN_PREFIX):])
            elif payload.startswith(USER_PREFIX):
                for digest in list(self._by_user.get(payload[len(USER_PREFIX):], ())):
                    self._drop(digest)
            else:
                self._clear()

    # The requests' side --------------------------------------------------------------------

    def live(self) -> bool:
        """True while the channel listens, proved alive lately, with nothing unread on it.

        Unread data is a notice (or the connection's end) the listener has not handled yet:
        until it has, the database is asked, so a revocation that reached this process is
        honoured even before the listener thread runs."""
        fd = self._channel_fd
        if fd is None or self.clock() - self._heard_at > 3 * self.heartbeat:
            return False
        try:
            readable, _, _ = select.select([fd], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable and not self._reading  # in this order: see TokenCache.reading

    def generation(self) -> int | None:
        """Taken before reading the database; None when nothing read now may be kept."""
        if os.getpid() != self.pid or not self.live():
            return None
        return self._generation

    def get(self, digest: str) -> User | None:
        if os.getpid() != self.pid or not self.live():
            return None
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry.expires_at <= utcnow() or self.clock() - entry.filled_at > self.max_age:
            with self._lock:
                if self._entries.get(digest) is entry:
                    self._drop(digest)
            return None
        return entry.user

    def fill(self, digest: str, *, user: User, expires_at: datetime, generation: int | None) -> None:
        """Keep what the database said, unless a notice (or the channel's loss) came since `generation`."""
        if generation is None:
            return
        snapshot = detached_copy(user)
        with self._lock:
            if generation != self._generation or self._channel_fd is None:
                return
            self._drop(digest)
            while len(self._entries) >= self.max_entries:
                self._drop(next(iter(self._entries)))  # the oldest
            self._entries[digest] = Entry(snapshot, expires_at, self.clock())
            self._by_user.setdefault(snapshot.id, set()).add(digest)

    def size(self) -> int:
        return len(self._entries)

    # Under the lock ------------------------------------------------------------------------

    def _drop(self, digest: str) -> None:
        entry = self._entries.pop(digest, None)
        if entry is not None:
            digests = self._by_user.get(entry.user.id)
            if digests is not None:
                digests.discard(digest)
                if not digests:
                    del self._by_user[entry.user.id]

    def _clear(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._by_user.clear()


USER_COLUMNS = tuple(attribute.key for attribute in User.__mapper__.column_attrs)


def detached_copy(user: User) -> User:
    """A copy of `user`'s loaded columns as a detached instance: no session, no SQL, no validators."""
    copy = User.__mapper__.class_manager.new_instance()
    for key in USER_COLUMNS:
        set_committed_value(copy, key, getattr(user, key))
    make_transient_to_detached(copy)
    return copy


def attach(session: Session, snapshot: User) -> User:
    """The request's own instance of a cached user, in its session (handlers may change it): no SQL."""
    return session.merge(snapshot, load=False)


def forget_after_commit(session: Session, cache: "TokenCache", digest: str) -> None:
    """Drop `digest` in this process as soon as `session` commits, before the notice comes back:
    a token revoked by a request is refused by the very next one this process serves."""
    session.info.setdefault("tokens_to_forget", []).append((cache, digest))


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for cache, digest in session.info.pop("tokens_to_forget", ()):
        cache.forget(TOKEN_PREFIX + digest)
