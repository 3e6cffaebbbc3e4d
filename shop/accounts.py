"""Accounts: logging in, throttled.

The login form (`ThrottledLoginView`, at /accounts/login/) sits behind a small
cache-based limiter by client IP and username; the API's token view
(`TokenLoginView`, at /api/auth/token/) behind DRF's scoped throttle. Both use
the `login` rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (e.g. "10/min").
Accounts live in `shop` (the top of the house) because every app's pages sit
behind the same login; sign-up and the demo switch are in `shop/views.py`."""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from core.cache import tolerant_cache
from core.parsers import SafeJSONParser
from core.throttling import ScopedRateThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def login_rate(scope: str = "login") -> tuple[int, int]:
    """(attempts, seconds) of the `login` rate (per IP+username) or the
    `login_ip` rate (per IP, across usernames; default 30/min)."""
    default = "30/min" if scope == "login_ip" else "10/min"
    rate = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {}).get(scope) or default
    num, period = rate.split("/")
    return int(num), _PERIODS[period.strip()[0]]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(ip: str, username: str) -> str:
    digest = hashlib.sha256(f"{ip}|{username.strip().lower()}".encode()).hexdigest()[:32]
    return f"login-throttle:{digest}"


def _count(key: str, limit: int, period: int) -> int:
    """Seconds to wait when this attempt is over `limit` in its window, else 0."""
    now = time.time()
    window = int(now // period)
    count = tolerant_cache.incr_window(f"{key}:w{window}", period + 1)
    if count is not None and count > limit:
        return max(1, int((window + 1) * period - now))
    return 0


def login_attempt_allowed(*, ip: str, username: str) -> tuple[bool, int]:
    """Count one attempt; (allowed, seconds to wait). Two fixed windows: per
    IP+username (`login` rate) and per IP across usernames (`login_ip`), each
    counted atomically (Redis INCR: concurrent attempts each get their own
    count). With the cache server down the attempt is allowed (the password
    is still checked; the outage is logged once by core.cache)."""
    waits = [
        _count(_key(ip, username), *login_rate("login")),
        _count("login-throttle-ip:" + hashlib.sha256(ip.encode()).hexdigest()[:32], *login_rate("login_ip")),
    ]
    wait = max(waits)
    return wait == 0, wait


def login_throttled(view):
    """`view` (the admin's login) behind the same limiter: a POST over the
    limit answers 429 without checking the password."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            allowed, wait = login_attempt_allowed(ip=client_ip(request), username=request.POST.get("username", ""))
            if not allowed:
                response = HttpResponse(
                    f"Too many login attempts. Try again in {wait} seconds.", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapped


class ThrottledLoginView(LoginView):
    """Django's login view behind a limiter by client IP + username
    (rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"])."""

    def post(self, request, *args, **kwargs):
        allowed, wait = login_attempt_allowed(ip=client_ip(request), username=request.POST.get("username", ""))
        if not allowed:
            # the password is not even checked: an unbound form and the reason, as a message
            messages.error(request, _("Too many login attempts. Try again in %(wait)s seconds.") % {"wait": wait})
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
