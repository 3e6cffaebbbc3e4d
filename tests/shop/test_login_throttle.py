"""The HTML login view behind the IP+username limiter (shop/accounts.py),
driven directly with a request factory."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import RequestFactory

from shop.accounts import ThrottledLoginView, login_attempt_allowed
from tests.checkout.factories import CustomerFactory

pytestmark = pytest.mark.django_db

RATES = {"anon": "100/min", "user": "100/min", "login": "3/min", "events": "100/min"}


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    cache.clear()
    yield
    cache.clear()


def test_limiter_counts_per_ip_and_username():
    results = [login_attempt_allowed(ip="1.2.3.4", username="Ada")[0] for _ in range(4)]
    assert results == [True, True, True, False]
    assert login_attempt_allowed(ip="1.2.3.4", username="ada")[0] is False  # usernames are case-insensitive
    assert login_attempt_allowed(ip="1.2.3.4", username="bob")[0] is True
    assert login_attempt_allowed(ip="5.6.7.8", username="ada")[0] is True


def post_login(data: dict):
    request = RequestFactory().post("/accounts/login/", data, REMOTE_ADDR="10.1.2.3")
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    request._dont_enforce_csrf_checks = True
    response = ThrottledLoginView.as_view()(request)
    if hasattr(response, "render"):
        response.render()
    return request, response


def test_login_page_answers_429_after_too_many_attempts(customer):
    creds = {"username": customer.user.username, "password": "wrong"}
    assert [post_login(creds)[1].status_code for _ in range(3)] == [200, 200, 200]
    request, blocked = post_login({**creds, "password": "pass-word-123"})
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "Too many login attempts" in blocked.content.decode()
    assert "_auth_user_id" not in request.session  # even the right password is not tried


def test_a_good_login_under_the_limit_works(customer):
    request, response = post_login({"username": customer.user.username, "password": "pass-word-123"})
    assert response.status_code == 302 and request.session["_auth_user_id"] == str(customer.user.pk)
