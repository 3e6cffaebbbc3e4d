# ruff: noqa: F811  (the fixture segment comes from test_campaigns)
"""Campaign copy rephrased by a language model, fail closed: a real local HTTP
server speaks the chat-completions protocol with scripted answers (as
tests/assistant does). A good rephrasing is used for every member after one
call; an invented price, code, link or product name, a backend that is down or
too slow gives the operator's text; the admin preview says which and why."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.cache import cache

from marketing import rephrase, services
from tests.profiles.factories import ProductFactory

from .test_campaigns import campaign, members, segment  # noqa: F401  (segment: a fixture)

TEMPLATE = "Thank you for shopping with us this year. We picked a few things we think you will like."
GOOD = "Danke for a wonderful year with us! Here are a few things we think you will love."


@pytest.fixture
def llm(settings):
    script = {"replies": [], "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            script["requests"].append(body)
            reply = script["replies"].pop(0) if script["replies"] else GOOD
            if isinstance(reply, tuple) and reply[0] == "sleep":
                time.sleep(reply[1])
                reply = GOOD
            status = 500 if reply == "HTTP 500" else 200
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"choices": [{"message": {"content": reply}}]}).encode())
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LLM_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.LLM_MODEL = "scripted"
    settings.LLM_TIMEOUT = 0.5
    cache.clear()
    yield script
    server.shutdown()
    server.server_close()


def _launch(segment, django_capture_on_commit_callbacks, n=4):
    members(n)
    c = campaign(segment, email_subject="Danke!", email_message=TEMPLATE, holdout_share=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=c)
    return c


@pytest.mark.django_db
def test_a_good_rephrasing_is_used_for_every_member_after_one_call(llm, segment, django_capture_on_commit_callbacks):
    _launch(segment, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 4
    assert all(GOOD in m.body and TEMPLATE not in m.body for m in mail.outbox)
    assert len(llm["requests"]) == 1  # per campaign and segment, not per customer
    sent = llm["requests"][0]["messages"]
    assert "Germany" in sent[1]["content"] and TEMPLATE in sent[1]["content"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reply, why",
    [
        ("Thank you for a great year! Everything is now just £5 for you, so pick a few things you like.", "'5'"),
        ("Thank you for a great year! Use the code SAVEBIG and pick a few things we think you will like.", "SAVEBIG"),
        ("Thank you for a great year! See www.cheap-gifts.example for a few things we think you will like.", "link"),
        ("Thank you for a great year! The white hanging heart t-light holder is one thing you will like.", "product"),
        ("Thanks!", "too short"),
        ("", "empty answer"),
    ],
)
def test_an_invented_price_code_link_or_product_is_refused_and_the_template_sent(
    llm, segment, django_capture_on_commit_callbacks, reply, why
):
    ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER", price=Decimal("2.95"))
    llm["replies"].append(reply)
    c = _launch(segment, django_capture_on_commit_callbacks, n=2)
    assert all(TEMPLATE in m.body for m in mail.outbox) and len(mail.outbox) == 2
    assert not any(reply and reply in m.body for m in mail.outbox)
    chosen = rephrase.campaign_copy(campaign=c)
    assert chosen.source == "template" and "refused" in chosen.reason and why in chosen.reason
    assert len(llm["requests"]) == 1  # the refusal is cached too: no call per mail


@pytest.mark.django_db
@pytest.mark.parametrize("reply, why", [("HTTP 500", "HTTP 500"), (("sleep", 1.5), "timeout")])
def test_a_failing_or_slow_backend_gives_the_template(llm, segment, django_capture_on_commit_callbacks, reply, why):
    llm["replies"].append(reply)
    c = _launch(segment, django_capture_on_commit_callbacks, n=2)
    assert all(TEMPLATE in m.body for m in mail.outbox) and len(mail.outbox) == 2
    chosen = rephrase.campaign_copy(campaign=c)
    assert chosen.source == "template" and why in chosen.reason


@pytest.mark.django_db
def test_a_backend_that_is_down_gives_the_template_and_the_preview_says_why(
    settings, admin_client, segment, django_capture_on_commit_callbacks
):
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens there
    settings.LLM_TIMEOUT = 0.5
    c = _launch(segment, django_capture_on_commit_callbacks, n=2)
    assert all(TEMPLATE in m.body for m in mail.outbox) and len(mail.outbox) == 2
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/").content.decode()
    assert "Message text: the operator's text: the language model failed (cannot reach the backend" in page


@pytest.mark.django_db
def test_preview_shows_the_rephrasing_and_without_a_model_the_template(llm, settings, admin_client, segment):
    members(2)
    c = campaign(segment, email_subject="Danke!", email_message=TEMPLATE)
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/").content.decode()
    assert "Message text: rephrased by the language model: rephrased for segment" in page and "Danke for a" in page
    settings.LLM_BASE_URL = ""
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/").content.decode()
    assert "no language model is configured" in page and "Thank you for shopping with us this year." in page
    assert len(llm["requests"]) == 1


@pytest.mark.django_db
def test_the_check_by_hand():
    original = "Our WINTER sale: 20% off for 3 days, see giftshop.example."
    ok = "The WINTER sale is on: 20% off for 3 days at giftshop.example, just for you."
    assert rephrase.copy_problems(candidate=ok, original=original) == []
    bad = "The WINTER sale: 25% off for 3 days at giftshop.example, code XMAS25."
    problems = rephrase.copy_problems(candidate=bad, original=original)
    assert "number '25' not in the operator's text" in problems
    assert any("XMAS25" in p for p in problems)
