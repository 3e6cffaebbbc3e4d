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

import threading

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


def redis_backend(caches: dict) -> dict:
    """`caches` with Django's Redis backend replaced by this one."""
    for config in caches.values():
        if config.get("BACKEND") == DJANGO_BACKEND:
            config["BACKEND"] = BACKEND
    return caches
