"""The Redis cache, failing open: when Redis does not answer, a read is a miss and a write is dropped, with a warning
in the log, instead of an error page. Nothing the app needs to be right lives only in the cache: sessions, the
login lockout (django-axes) and every record are in the database. What the cache holds is a speed-up (the calendar
feed's text, a report's rendered page) or a counter of a rate limit (the API's per-user throttle, allauth's per-IP
login limits, the calendar feed's limits); while Redis is down those limits do not count, and requests pass.

Failing open is the choice of a security reviewer here, not only of convenience: the account lockout that stops
password guessing is in the database and keeps working; API calls need a valid token or session anyway; calendar
feed addresses carry a random secret too long to guess. Failing closed would turn a cache outage into an outage of
the whole site. /readyz reports the cache as down meanwhile (psn/health.py), so the operator is told.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# One warning per process and this many seconds while Redis stays down: an outage must not flood the log.
WARN_EVERY_SECONDS = 30.0
_last_warning = 0.0


def _warn(operation: str, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable, %s skipped (failing open): %s: %s", operation, type(exc).__name__, exc)


def _fail_open(fallback):
    """Run the cache operation; when Redis is unreachable, log and return ``fallback(*args, **kwargs)``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                _warn(method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class FailOpenRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache that treats an unreachable Redis as an empty cache that stores
    nothing. ``add`` answers True (the caller goes on as if it took the key: allauth's rate-limit lock must not wait
    for a lock nobody can hold) and ``incr`` answers ``delta`` (a rate counter starts again at one)."""

    get = _fail_open(_default)(RedisCache.get)
    set = _fail_open(lambda *args, **kwargs: None)(RedisCache.set)
    add = _fail_open(lambda *args, **kwargs: True)(RedisCache.add)
    touch = _fail_open(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _fail_open(lambda *args, **kwargs: False)(RedisCache.delete)
    has_key = _fail_open(lambda *args, **kwargs: False)(RedisCache.has_key)
    get_many = _fail_open(lambda *args, **kwargs: {})(RedisCache.get_many)
    set_many = _fail_open(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    delete_many = _fail_open(lambda *args, **kwargs: None)(RedisCache.delete_many)
    clear = _fail_open(lambda *args, **kwargs: False)(RedisCache.clear)

    @_fail_open(lambda key, delta=1, *args, **kwargs: delta)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)
