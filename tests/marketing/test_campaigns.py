"""Campaigns: launch checks, the members' groups, the personalised e-mail,
banners, tracking, one-click unsubscribe, the report, and sending that mails
nobody twice after a real kill."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from checkout.models import Coupon
from marketing import campaigns, selectors, services
from marketing.models import Campaign, CampaignMember, Unsubscribe
from profiles.models import Portrait, Segment
from tests.conftest import ROOT, _test_database_url, wait_for
from tests.profiles.factories import CustomerFactory, ProductFactory

GERMANY = {"match": "all", "conditions": [{"field": "country", "op": "eq", "value": "Germany"}]}


def members(n, country="Germany"):
    out = []
    for _ in range(n):
        c = CustomerFactory(country=country)
        Portrait.objects.create(customer=c, reference_time=timezone.now(), country=country, has_purchases=True)
        out.append(c)
    return out


@pytest.fixture
def segment(db):
    return Segment.objects.create(name="Germany", rule=GERMANY)


@pytest.fixture
def coupon(segment):
    return Coupon.objects.create(code="DANKE10", kind="percentage", value=Decimal("10"), segment=segment)


def campaign(segment, **kw):
    fields = {"name": "Danke", "segment": segment, "holdout_share": 0.25}
    return Campaign.objects.create(**{**fields, **kw})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "a campaign needs content"),
        ({"email_message": "Hello"}, "the e-mail needs a subject"),
        ({"banner_text": "Hi", "holdout_share": 0.9}, "hold-out share must be between 0 and 0.5"),
        ({"coupon": "unrestricted"}, "coupon OPEN must be restricted to segment 'Germany'"),
    ],
)
def test_a_campaign_that_cannot_run_is_refused_and_nothing_is_written(segment, kwargs, message):
    members(2)
    if kwargs.get("coupon") == "unrestricted":
        kwargs = {"coupon": Coupon.objects.create(code="OPEN", kind="fixed", value=Decimal("5"))}
    c = campaign(segment, **kwargs)
    with pytest.raises(services.CampaignInvalid, match=message):
        services.campaign_launch(campaign=c)
    assert Campaign.objects.get(pk=c.pk).status == Campaign.Status.DRAFT and not CampaignMember.objects.exists()


@pytest.mark.django_db
def test_an_empty_segment_is_refused(segment):
    members(2, country="France")
    with pytest.raises(services.CampaignInvalid, match="has no members"):
        services.campaign_launch(campaign=campaign(segment, banner_text="Hallo"))


@pytest.mark.django_db
def test_launch_mails_the_treatment_group_with_their_products_and_coupon(
    segment, coupon, django_capture_on_commit_callbacks
):
    people = members(40)
    members(3, country="France")
    ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER", price=Decimal("2.95"), units_sold=500)
    c = campaign(segment, coupon=coupon, email_subject="Danke!", email_message="Thank you for shopping with us.")
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=c)
    rows = CampaignMember.objects.filter(campaign=c)
    assert rows.count() == 40  # the French customers are not members
    holdout = set(rows.filter(group="holdout").values_list("customer_id", flat=True))
    assert 3 <= len(holdout) <= 18  # 25% of 40, deterministic by hash
    treated = [p for p in people if p.pk not in holdout]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in treated)
    msg = next(m for m in mail.outbox if m.to == [treated[0].user.email])
    assert msg.subject == "Danke!"
    assert f"Hello {treated[0].user.username}," in msg.body and "Thank you for shopping with us." in msg.body
    assert "DANKE10 (10% off)" in msg.body
    assert "WHITE HANGING HEART T-LIGHT HOLDER, £2.95" in msg.body  # a product from the recommender, with its reason
    html = msg.alternatives[0][0]
    assert "/m/o/" in html and "DANKE10" in html
    unsubscribe = msg.extra_headers["List-Unsubscribe"].strip("<>")
    assert msg.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith(settings.MARKETING_SITE_URL + "/m/u/") and unsubscribe in msg.body
    assert set(rows.filter(group="treatment").values_list("status", flat=True)) == {"sent"}
    # sending again mails nobody
    assert services.campaign_send(campaign_id=c.pk)["sent"] == 0 and len(mail.outbox) == len(treated)


@pytest.mark.django_db
def test_one_click_unsubscribe_and_the_next_campaign_skips_them(segment, django_capture_on_commit_callbacks):
    people = members(4)
    c = campaign(segment, email_subject="A", email_message="First", holdout_share=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=c)
    first = mail.outbox[0]
    path = first.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.MARKETING_SITE_URL)
    client = Client(enforce_csrf_checks=True)  # a mail client's one-click POST carries no CSRF token
    assert "Unsubscribe from marketing e-mail?" in client.get(path).content.decode()
    assert not Unsubscribe.objects.exists()  # a GET (a link scanner) changes nothing
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    gone = next(p for p in people if p.user.email == first.to[0])
    assert Unsubscribe.objects.filter(customer=gone).exists()
    assert client.post("/m/u/forged-token/").status_code == 404
    mail.outbox.clear()
    second = campaign(segment, name="Second", email_subject="B", email_message="Again", holdout_share=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=second)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.user.email for p in people if p != gone)
    assert CampaignMember.objects.get(campaign=second, customer=gone).status == "unsubscribed"


@pytest.mark.django_db
def test_banner_for_treatment_members_only_and_tracking_links(client, segment, coupon):
    people = members(12)
    outsider = members(1, country="France")[0]
    c = campaign(segment, coupon=coupon, banner_text="Danke, Deutschland!", holdout_share=0.3)
    services.campaign_launch(campaign=c)
    groups = dict(CampaignMember.objects.filter(campaign=c).values_list("customer_id", "group"))
    treated = next(p for p in people if groups[p.pk] == "treatment")
    held = next(p for p in people if groups[p.pk] == "holdout")
    client.force_login(treated.user)
    page = client.get("/").content.decode()
    assert 'data-testid="campaign-banner"' in page and "Danke, Deutschland!" in page and "DANKE10" in page
    for other in (held, outsider):
        client.force_login(other.user)
        assert "Danke, Deutschland!" not in client.get("/").content.decode()
    member = CampaignMember.objects.get(campaign=c, customer=treated)
    token = campaigns.member_token(member.pk)
    assert client.get(f"/m/o/{token}.gif")["Content-Type"] == "image/gif"
    assert client.get(f"/m/c/{token}/?next=https://evil.example/")["Location"] == "/"
    assert client.get(f"/m/c/{token}/?next=/about/")["Location"] == "/about/"
    member.refresh_from_db()
    assert member.opened_at and member.clicked_at
    report = selectors.campaign_report(campaign=c)
    assert report["groups"]["treatment"]["opened"] == 1 and report["groups"]["treatment"]["clicked"] == 1
    assert report["groups"]["holdout"]["members"] == sum(g == "holdout" for g in groups.values())


def _mailed(folder: Path) -> list[str]:
    out = []
    for f in sorted(folder.glob("*.log")):
        for raw in f.read_text().split("-" * 79):
            if raw.strip():
                out.append(email.message_from_string(raw.strip())["To"])
    return out


@pytest.mark.slow  # two real processes and a transactional database: about 35 s
@pytest.mark.django_db(transaction=True)
def test_a_killed_and_restarted_batch_mails_nobody_twice(segment, tmp_path):
    if not settings.USING_POSTGRES:
        pytest.skip("needs PostgreSQL: the sender runs in another process on the same database")
    people = members(12)
    c = campaign(segment, email_subject="S", email_message="M", holdout_share=0)
    services.campaign_launch(campaign=c, send=False)  # sent below, by the command, in another process
    assert set(CampaignMember.objects.filter(campaign=c).values_list("status", flat=True)) == {"pending"}
    outbox = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "TEST_DATABASE_URL": _test_database_url(),
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "TEST_EMAIL_FILE_PATH": str(outbox),
        "MARKETING_SEND_DELAY": "0.4",
    }
    cmd = [sys.executable, "manage.py", "campaign_send", "--campaign", str(c.pk)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: CampaignMember.objects.filter(campaign=c, status="sent").count() >= 3, timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    sent_before = CampaignMember.objects.filter(campaign=c, status="sent").count()
    assert 3 <= sent_before < 12
    env["MARKETING_SEND_DELAY"] = "0"
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    mailed = _mailed(outbox)
    assert len(mailed) == len(set(mailed)), "someone got the mail twice"
    stuck = CampaignMember.objects.filter(campaign=c, status="sending").count()
    assert stuck <= 1  # the one row claimed when the kill came: never re-sent blindly
    assert CampaignMember.objects.filter(campaign=c, status="sent").count() == 12 - stuck
    assert len(mailed) >= 12 - stuck and set(mailed) <= {p.user.email for p in people}


@pytest.mark.django_db
def test_admin_preview_for_a_chosen_member_and_the_report_page(admin_client, segment, coupon):
    people = members(3)
    c = campaign(segment, coupon=coupon, email_subject="Hallo", email_message="Schöne Grüße")
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/?customer={people[1].pk}").content.decode()
    assert f"Hello {people[1].user.username}," in page and "DANKE10" in page and "Nothing is sent" in page
    assert not mail.outbox and not CampaignMember.objects.exists()
    outsider = members(1, country="France")[0]
    page = admin_client.get(f"/admin/marketing/campaign/{c.pk}/preview/?customer={outsider.pk}").content.decode()
    assert "No such member of the segment." in page
    # the admin form refuses a campaign without content
    response = admin_client.post(
        "/admin/marketing/campaign/add/", {"name": "Empty", "segment": segment.pk, "holdout_share": "0.1"}
    )
    assert "a campaign needs content" in response.content.decode() and Campaign.objects.count() == 1
    services.campaign_launch(campaign=c, send=False)
    report = admin_client.get(f"/admin/marketing/campaign/{c.pk}/report/").content.decode()
    assert 'data-testid="campaign-report"' in report and 'data-group="treatment"' in report
