"""Accounts: logging in, throttled.

The login form (`ThrottledLoginView`, at /accounts/login/) sits behind a small
cache-based limiter by client IP and username; the API's token view
(`TokenLoginView`, at /api/auth/token/) behind DRF's scoped throttle. Both use
the `login` rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (e.g. "10/min").
Accounts live in `shop` (the top of the house) because every app's pages sit
behind the same login; sign-up and the demo switch are in `shop/views.py`."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from core.cache import tolerant_cache
from core.parsers import SafeJSONParser
from core.throttling import ScopedRateThrottle

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
    """Count one attempt; (allowed, seconds to wait). A fixed window per
    IP+username, counted atomically (Redis INCR: concurrent attempts each get
    their own count). With the cache server down the attempt is allowed (the
    password is still checked; the outage is logged once by core.cache)."""
    limit, period = login_rate()
    now = time.time()
    window = int(now // period)
    count = tolerant_cache.incr_window(f"{_key(ip, username)}:w{window}", period + 1)
    if count is not None and count > limit:
        return False, max(1, int((window + 1) * period - now))
    return True, 0


class ThrottledLoginView(LoginView):
    """Django's login view behind a limiter by client IP + username
    (rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])."""

    def post(self, request, *args, **kwargs):
        allowed, wait = login_attempt_allowed(ip=client_ip(request), username=request.POST.get("username", ""))
        if not allowed:
            # the password is not even checked: an unbound form and the reason, as a message
            messages.error(request, f"Too many login attempts. Try again in {wait} seconds.")
            form = self.form_class(request, initial={"username": request.POST.get("username", "")})
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


class TokenLoginView(ObtainAuthToken):
    """Exchange username and password for an API token; throttled (scope "login")."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    # DRF's view names its own parsers; ours limits size, depth and control characters
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]
