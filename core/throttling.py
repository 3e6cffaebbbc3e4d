"""DRF throttles that count atomically and survive the cache server being down.

DRF's `SimpleRateThrottle` keeps a list of timestamps per client, read with
`cache.get` and written back with `cache.set`: two concurrent requests read
the same list and both pass (135 requests passed a limit of 120/min), and a
stopped Redis raises `ConnectionError` in every API call. These count in a
fixed window with one atomic increment (`TolerantCache.incr_window`: Redis
INCR) and let the request through when the cache cannot answer (logged once
per outage by `core.cache`): an outage costs the limit, never the API.

Use them in place of DRF's: `AtomicRateThrottle` (the base, for a throttle of
one's own), `AnonRateThrottle`, `UserRateThrottle`, `ScopedRateThrottle`.
"""

from __future__ import annotations

import time

from rest_framework import throttling

from .cache import tolerant_cache


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """A fixed-window counter per `get_cache_key`, counted atomically."""

    _wait_seconds: float | None = None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        count = tolerant_cache.incr_window(f"{self.key}:w{window}", self.duration + 1)
        if count is None:  # the cache is down: no limit rather than no API
            return True
        if count > self.num_requests:
            self._wait_seconds = max(1.0, (window + 1) * self.duration - now)
            return False
        return True

    def wait(self) -> float | None:
        return self._wait_seconds


class AnonRateThrottle(throttling.AnonRateThrottle, AtomicRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, AtomicRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, AtomicRateThrottle):
    pass
