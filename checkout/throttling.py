"""Login throttling: a small cache-based limiter by client IP and username,
using the `login` rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (e.g. "10/min").
Used by the HTML login view (`ThrottledLoginView`) and the API token view."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def login_rate() -> tuple[int, int]:
    rate = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {}).get("login") or "10/min"
    num, period = rate.split("/")
    return int(num), _PERIODS[period.strip()[0]]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(ip: str, username: str) -> str:
    digest = hashlib.sha256(f"{ip}|{username.strip().lower()}".encode()).hexdigest()[:32]
    return f"login-throttle:{digest}"


def login_attempt_allowed(*, ip: str, username: str) -> tuple[bool, int]:
    """Count one attempt; (allowed, seconds to wait). Fixed window per IP+username."""
    limit, period = login_rate()
    key = _key(ip, username)
    now = time.time()
    window = cache.get(key)
    if window is None or now - window[0] >= period:
        window = (now, 0)
    window = (window[0], window[1] + 1)
    cache.set(key, window, timeout=period)
    if window[1] > limit:
        return False, max(1, int(period - (now - window[0])))
    return True, 0

