"""The HTML login view behind the IP+username limiter."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import include, path

from checkout.throttling import login_attempt_allowed
from checkout.views import ThrottledLoginView

pytestmark = pytest.mark.django_db

# The coordinator routes /accounts/login/ to ThrottledLoginView in shop/urls.py;
# until then this test mounts it the same way in front of the site's urls.
urlpatterns = [
    path("accounts/login/", ThrottledLoginView.as_view(template_name="404.html"), name="login"),
    path("", include("shop.urls")),
]

RATES = {"anon": "100/min", "user": "100/min", "login": "3/min", "events": "100/min"}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_limiter_counts_per_ip_and_username(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    results = [login_attempt_allowed(ip="1.2.3.4", username="Ada")[0] for _ in range(4)]
    assert results == [True, True, True, False]
    assert login_attempt_allowed(ip="1.2.3.4", username="ada")[0] is False  # usernames are case-insensitive
    assert login_attempt_allowed(ip="1.2.3.4", username="bob")[0] is True
    assert login_attempt_allowed(ip="5.6.7.8", username="ada")[0] is True


@override_settings(ROOT_URLCONF=__name__)
def test_login_page_answers_429_after_too_many_attempts(client, settings, customer):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    creds = {"username": customer.user.username, "password": "wrong"}
    assert [client.post("/accounts/login/", creds).status_code for _ in range(3)] == [200, 200, 200]
    blocked = client.post("/accounts/login/", {**creds, "password": "pass-word-123"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "Too many login attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password is not tried
