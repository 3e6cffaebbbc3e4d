"""Security headers (issue 13, defect 10): a Content-Security-Policy on every
page type, nosniff and a referrer policy, templates the policy allows (no
inline script, style element or on* handler), and no server software named
by gunicorn."""

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from checkout import services
from checkout.models import Order
from core.middleware import csp_header
from tests.checkout.factories import CustomerFactory, ProductFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def assert_secure(response, path):
    policy = response.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives.get("script-src") == "'self'", (path, policy)
    assert directives.get("style-src") == "'self'", (path, policy)
    assert directives.get("default-src") == "'self'" and directives.get("object-src") == "'none'", (path, policy)
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "same-origin", path


def test_the_policy_setting_is_the_header(settings, client):
    assert client.get("/about/")["Content-Security-Policy"] == csp_header(settings.SECURE_CSP)


def test_a_report_only_policy_goes_out_beside_the_enforced_one(settings):
    from django.test import Client

    settings.SECURE_CSP_REPORT_ONLY = {"default-src": ["'none'"]}
    response = Client().get("/about/")  # a new client loads the middleware with these settings
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert response["Content-Security-Policy"] == csp_header(settings.SECURE_CSP)


def test_every_html_page_type_has_the_policy(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    product = ProductFactory(stock=10)
    customer = CustomerFactory()
    anonymous = [
        "/",
        "/about/",
        product.category.get_absolute_url(),
        product.get_absolute_url(),
        "/search/?q=mug",
        "/cart/",
        "/signup/",
        "/accounts/login/",
        "/admin/login/",
        "/api/docs/",
        "/no-such-page/",
    ]
    for path in anonymous:
        response = client.get(path, follow=True)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert "text/html" in response["Content-Type"], path
        assert_secure(response, path)

    client.force_login(customer.user)
    cart = services.cart_get_or_create(customer=customer)
    services.cart_add(cart=cart, product_id=product.pk, quantity=1)
    order = Order.objects.create(number="W1-TEST", customer=customer, total=1, subtotal=1, placed_at=timezone.now())
    for path in ["/checkout/", "/profile/", "/orders/", f"/orders/{order.number}/"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_secure(response, path)

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a-long-Passphrase-9")
    client.force_login(admin)
    for path in ["/admin/", "/admin/profiles/portrait/", "/admin/profiles/segment/add/", "/admin/catalog/product/"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_secure(response, path)


def test_the_api_docs_script_is_a_file_not_inline(client):
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>\s*\S", html) and "<style" not in html
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html)
    assert script, html
    js = client.get(script.group(1).replace("&amp;", "&"))
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I), "an inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "an on* event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_what_the_policy_refuses():
    """Pages are rendered from these templates; e-mails (templates/emails) are not pages."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "emails" in path.parts:
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}: {what}")
    assert found == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_names_no_server_software(tmp_path):
    """gunicorn, started as the Dockerfile starts it (reading ./gunicorn.conf.py)."""
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = {"DJANGO_SETTINGS_MODULE": "shop.settings.test", "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.Popen(
        [gunicorn, "shop.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # a static file: no database needed, still a response written by gunicorn
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/about/", timeout=5) as response:
                    headers = response.headers
                break
            except urllib.error.HTTPError as exc:
                headers = exc.headers
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        servers = headers.get_all("Server") or []
        assert servers and all("gunicorn" not in s.lower() and not re.search(r"\d", s) for s in servers), servers
        assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
