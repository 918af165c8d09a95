"""The token cache's rules on their own: kept only while the revocation channel listens, never stale."""

import socket
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from core.config import ConfigError, follow_environment, from_environment, validate
from core.db import utcnow
from core.identity.models import User
from core.identity.token_cache import TokenCache, forget_after_commit


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def channel():
    """A socket standing for the listener's connection: data sent to `far` waits unread on `near`."""
    near, far = socket.socketpair()
    yield near, far
    near.close()
    far.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(channel, clock):
    cache = TokenCache(max_age=60, max_entries=3, heartbeat=10, clock=clock)
    cache.open(channel[0].fileno())
    return cache


def user(user_id="usr-1"):
    return User(id=user_id, role="patient", is_active=True)


def fill(cache, digest, *, user_id="usr-1", expires_in=3600):
    cache.fill(digest, user=user(user_id), expires_at=utcnow() + timedelta(seconds=expires_in),
               generation=cache.generation())


def test_a_resolved_token_is_kept_while_the_channel_listens(cache):
    fill(cache, "d1")
    kept = cache.get("d1")
    assert (kept.id, kept.role) == ("usr-1", "patient")


def test_the_cache_keeps_a_copy_not_the_requests_instance(cache):
    theirs = user()
    cache.fill("d1", user=theirs, expires_at=utcnow() + timedelta(hours=1), generation=cache.generation())
    theirs.role = "admin"
    assert cache.get("d1").role == "patient"


def test_nothing_is_kept_before_the_channel_listens(clock):
    cache = TokenCache(max_age=60, max_entries=3, heartbeat=10, clock=clock)
    assert cache.generation() is None
    fill(cache, "d1")
    assert cache.size() == 0


def test_a_notice_between_the_read_and_the_fill_voids_the_fill(cache):
    generation = cache.generation()  # taken before the database is read
    cache.forget("t:d1")  # the token is revoked meanwhile
    cache.fill("d1", user=user(), expires_at=utcnow() + timedelta(hours=1), generation=generation)
    assert cache.get("d1") is None


def test_a_token_notice_drops_that_token(cache):
    fill(cache, "d1")
    fill(cache, "d2")
    cache.forget("t:d1")
    assert cache.get("d1") is None
    assert cache.get("d2") is not None


def test_a_user_notice_drops_every_token_of_that_user(cache):
    fill(cache, "d1", user_id="usr-1")
    fill(cache, "d2", user_id="usr-1")
    fill(cache, "d3", user_id="usr-2")
    cache.forget("u:usr-1")
    assert (cache.get("d1"), cache.get("d2")) == (None, None)
    assert cache.get("d3") is not None


def test_a_truncate_notice_drops_everything(cache):
    fill(cache, "d1")
    cache.forget("*")
    assert cache.size() == 0


def test_unread_data_on_the_channel_suspends_the_cache(cache, channel):
    fill(cache, "d1")
    channel[1].send(b"a notice the listener has not read yet")
    assert cache.get("d1") is None
    assert cache.generation() is None


def test_a_notice_being_handled_suspends_the_cache(cache):
    fill(cache, "d1")
    cache.reading(True)
    assert cache.get("d1") is None
    cache.reading(False)
    assert cache.get("d1") is not None


def test_losing_the_channel_forgets_everything_and_listening_again_starts_empty(cache, channel):
    fill(cache, "d1")
    cache.close()
    assert cache.get("d1") is None
    cache.open(channel[0].fileno())
    assert cache.get("d1") is None


def test_a_fill_that_read_before_the_channel_was_lost_is_not_kept(cache, channel):
    generation = cache.generation()
    cache.close()
    cache.open(channel[0].fileno())  # reconnected: notices may have been missed meanwhile
    cache.fill("d1", user=user(), expires_at=utcnow() + timedelta(hours=1), generation=generation)
    assert cache.get("d1") is None


def test_a_silent_channel_stops_being_trusted(cache, clock):
    fill(cache, "d1")
    clock.now += 3 * cache.heartbeat + 1  # no heartbeat answered
    assert cache.get("d1") is None
    cache.heard()
    assert cache.get("d1") is not None


def test_an_entry_is_not_used_past_its_tokens_expiry(cache, time_machine):
    time_machine.move_to(utcnow(), tick=False)
    fill(cache, "d1", expires_in=5)
    time_machine.shift(timedelta(seconds=6))
    assert cache.get("d1") is None
    assert cache.size() == 0


def test_an_entry_is_not_used_past_its_max_age(cache, clock):
    fill(cache, "d1")
    clock.now += cache.max_age + 1
    cache.heard()
    assert cache.get("d1") is None


def test_the_oldest_entry_gives_way_at_the_size_bound(cache):
    for digest in ("d1", "d2", "d3", "d4"):
        fill(cache, digest)
    assert cache.size() == 3
    assert cache.get("d1") is None
    assert cache.get("d4") is not None


def test_a_token_revoked_by_this_process_is_forgotten_as_its_transaction_commits(cache):
    fill(cache, "d1")
    with Session() as session:
        forget_after_commit(session, cache, "d1")
        assert cache.get("d1") is not None  # not before: the revocation may yet roll back
        session.commit()
    assert cache.get("d1") is None


def test_the_token_cache_is_on_by_default_in_production_only_and_off_with_zero():
    assert from_environment({"RXLOOP_ENV": "production"})["TOKEN_CACHE"] is True
    assert from_environment({"RXLOOP_ENV": "production", "TOKEN_CACHE": "0"})["TOKEN_CACHE"] is False
    assert from_environment({})["TOKEN_CACHE"] is False
    assert from_environment({"TOKEN_CACHE": "1"})["TOKEN_CACHE"] is True


def test_an_app_made_for_production_in_code_gets_the_token_cache_unless_told_otherwise():
    values = from_environment({})
    values["RXLOOP_ENV"] = "production"
    follow_environment(values, given={"RXLOOP_ENV": "production"}, env={})
    assert values["TOKEN_CACHE"] is True
    told = from_environment({})
    told.update(RXLOOP_ENV="production", TOKEN_CACHE=False)
    follow_environment(told, given={"RXLOOP_ENV": "production", "TOKEN_CACHE": False}, env={})
    assert told["TOKEN_CACHE"] is False


@pytest.mark.parametrize("setting", [{"TOKEN_CACHE_SECONDS": "0"}, {"TOKEN_CACHE_SECONDS": "7200"},
                                     {"TOKEN_CACHE_SIZE": "0"}])
def test_token_cache_bounds_out_of_range_are_refused(setting):
    with pytest.raises(ConfigError):
        validate(from_environment(setting))
