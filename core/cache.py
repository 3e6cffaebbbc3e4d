"""Django's Redis cache, with one client per connection pool instead of one per call.

`django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new
`redis.Redis` for every cache operation; each build fills the client's table
of some 170 response callbacks, which on a page with a dozen cache reads costs
more than the reads (profiled: a fifth of a product page's cache time). A
`redis.Redis` is safe to share between threads (connections come from its
pool), so this keeps one per pool. Behaviour is otherwise Django's.

Settings name it through `redis_backend()`: a `CACHE_URL` of `redis://…` or
`rediscache://…` selects it.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

DJANGO_BACKEND = "django.core.cache.backends.redis.RedisCache"
BACKEND = "core.cache.RedisCache"


class ReusedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClient


# A Redis that hangs (accepts, never answers) must not hold a request: every
# Redis cache gets these socket timeouts unless CACHE_URL sets its own
# (`?socket_connect_timeout=…&socket_timeout=…`). TolerantCache then skips
# the server for RETRY_SECONDS, so one request per 5 s pays the timeout.
SOCKET_CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 1.0


def redis_backend(caches: dict) -> dict:
    """`caches` with Django's Redis backend replaced by this one, with socket timeouts."""
    for config in caches.values():
        if config.get("BACKEND") == DJANGO_BACKEND:
            config["BACKEND"] = BACKEND
        if config.get("BACKEND") == BACKEND:
            options = config.setdefault("OPTIONS", {})
            options.setdefault("socket_connect_timeout", SOCKET_CONNECT_TIMEOUT)
            options.setdefault("socket_timeout", SOCKET_TIMEOUT)
    return caches


# ---------------------------------------------------------------------------
# A cache that tolerates its server being down
# ---------------------------------------------------------------------------
log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # after a failure, calls skip the server this long (one refused connection per 5 s)


class TolerantCache:
    """The default cache (or `alias`), answering as if empty when its server
    is down: `get` gives the default, `get_many` {}, `set`/`delete` do
    nothing, `add` and `incr` give None ("unknown", which callers must treat
    as "skip the limit/debounce"). The first failure of an outage is logged
    once (a warning, with the error) and so is the recovery; for RETRY_SECONDS
    after a failure the server is not even tried. `available()` says whether
    the last call reached it.

    One for the whole project: `tolerant_cache`. Throttles (core.throttling),
    the login limiter (shop.accounts) and the portrait debounce
    (profiles.services) use it; recommend.serving's `_cache_get/_cache_set`
    could (profiles' shopper_history does)."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    @property
    def _cache(self):
        from django.core.cache import caches

        return caches[self.alias]

    def available(self) -> bool:
        return not self._down

    def reset(self) -> None:
        """Try the server again at once (tests, and after a drill)."""
        with self._lock:
            self._down_until = 0.0
            self._down = False

    def _call(self, method: str, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            target = self._cache
            if method == "_incr_window":
                value = _incr_window(target, *args, **kwargs)
            else:
                value = getattr(target, method)(*args, **kwargs)
        except _ERRORS as exc:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_SECONDS
                first = not self._down
                self._down = True
            if first:
                log.warning("cache %r unavailable (%s: %s): serving without it", self.alias, type(exc).__name__, exc)
            return fallback
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                log.warning("cache %r reachable again", self.alias)
        return value

    def get(self, key, default=None):
        return self._call("get", default, key, default)

    def get_many(self, keys) -> dict:
        return self._call("get_many", {}, keys)

    def set(self, key, value, timeout=None) -> None:
        self._call("set", None, key, value, timeout)

    def delete(self, key) -> None:
        self._call("delete", None, key)

    def add(self, key, value, timeout=None) -> bool | None:
        """True if stored, False if the key existed, None if the server is down."""
        return self._call("add", None, key, value, timeout)

    def incr_window(self, key: str, timeout: int) -> int | None:
        """Atomically count one more in `key` (created at 1 with `timeout`
        seconds to live); the new count, or None when the server is down.
        Redis: INCR, then EXPIRE on the first count, so concurrent callers
        each get their own number."""
        return self._call("_incr_window", None, key, timeout)


def _incr_window(cache, key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: start a new window
        cache.add(key, 0, timeout)
        return cache.incr(key)


def _errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OSError]
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        pass
    return tuple(errors)


_ERRORS = _errors()

tolerant_cache = TolerantCache()
