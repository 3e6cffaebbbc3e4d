"""Abandoned-cart reminders: which carts are due at each step, once-only
sending (also after a claimed row was left by a killed batch), the stop on an
order / an emptied / a changed cart, the hold-out, unsubscribe, the e-mail's
content, the report against hand-counted data and bad settings refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings

from checkout import services as checkout_services
from checkout.models import Cart, Order
from checkout.parsing import address_parse
from checkout.payment import CARD_SUCCEEDS
from marketing import recovery
from marketing.models import CartAbandonment, CartReminder, Unsubscribe
from tests.checkout.conftest import ADDRESS
from tests.profiles.factories import CustomerFactory, ProductFactory, purchase

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def treated_customer(**kw):
    """A customer the hash puts in the treatment group (share 0.15)."""
    while True:
        c = CustomerFactory(**kw)
        if not recovery.in_holdout(customer_id=c.pk, share=0.15):
            return c


def held_customer():
    while True:
        c = CustomerFactory()
        if recovery.in_holdout(customer_id=c.pk, share=0.15):
            return c


def fill(customer, *items):
    cart = checkout_services.cart_get_or_create(customer=customer)
    for product, quantity in items:
        checkout_services.cart_add(cart=cart, product_id=product.pk, quantity=quantity)
    return Cart.objects.get(pk=cart.pk)


@pytest.fixture
def products(db):
    heart = ProductFactory(name="WHITE HANGING HEART T-LIGHT HOLDER", price=Decimal("2.95"))
    bag = ProductFactory(name="JUMBO BAG RED RETROSPOT", price=Decimal("1.95"))
    tin = ProductFactory(name="SET OF 3 CAKE TINS PANTRY DESIGN", price=Decimal("4.95"))
    cases = ProductFactory(name="PACK OF 72 RETROSPOT CAKE CASES", price=Decimal("0.55"))
    buyer = CustomerFactory()
    for n in range(3):  # bought together in three orders: "Often bought with ..."
        purchase(buyer, heart, order=f"H{n}")
        purchase(buyer, tin, order=f"H{n}")
    purchase(buyer, heart, order="H9")
    purchase(buyer, cases, order="H9")
    return {"heart": heart, "bag": bag, "tin": tin, "cases": cases}


def _run(at):
    return recovery.reminders_run(now=at)


@pytest.mark.django_db
def test_each_step_is_due_at_its_delay_and_sent_once(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 2), (products["bag"], 1))
    t0 = cart.updated_at
    assert _run(t0 + 59 * dt.timedelta(minutes=1))["scan"]["found"] == 0 and not mail.outbox  # not yet an hour
    out = _run(t0 + H)
    assert out["scan"] == {"found": 1, "treatment": 1, "holdout": 0, "not_emailable": 0, "ended": 0}
    assert out["send"]["sent"] == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].subject == "You left something in your cart" and mail.outbox[0].to == [customer.user.email]
    assert _run(t0 + 2 * H)["send"]["sent"] == 0 and len(mail.outbox) == 1  # step 1 only once
    assert _run(t0 + D)["send"]["sent"] == 1 and mail.outbox[-1].subject == "Your cart is still waiting"
    assert _run(t0 + 4 * D)["send"]["sent"] == 0
    assert _run(t0 + 5 * D)["send"]["sent"] == 1 and mail.outbox[-1].subject == "Last reminder: your cart"
    assert _run(t0 + 6 * D)["send"]["sent"] == 0 and len(mail.outbox) == 3
    rows = CartReminder.objects.filter(abandonment__customer=customer).order_by("step")
    assert [(r.step, r.status, r.due_at - t0) for r in rows] == [(1, "sent", H), (2, "sent", D), (3, "sent", 5 * D)]
    assert CartAbandonment.objects.get(customer=customer).end_reason == "done"


@pytest.mark.django_db
def test_the_email_shows_the_cart_from_the_database_and_completing_products(products, client):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 3), (products["bag"], 2))
    products["bag"].price = Decimal("2.10")  # the price changed since it was added: today's price is shown
    products["bag"].save()
    _run(cart.updated_at + H)
    msg = mail.outbox[0]
    body, html = msg.body, msg.alternatives[0][0]
    assert "3 × White Hanging Heart T-Light Holder, £2.95 each: £8.85" in body
    assert "2 × Jumbo Bag Red Retrospot, £2.10 each: £4.20" in body and "Subtotal: £13.05" in body
    assert "Set of 3 Cake Tins Pantry Design, £4.95 (Often bought with White Hanging Heart T-Light Holder)" in body
    assert "Jumbo Bag Red Retrospot, £" not in body.split("To complete it:")[1]  # never recommends what is in it
    assert "/m/o/" in html and "£13.05" in html
    unsubscribe = msg.extra_headers["List-Unsubscribe"].strip("<>")
    assert msg.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith(settings.MARKETING_SITE_URL + "/m/u/") and unsubscribe in body
    cart_link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Go to your cart"))
    response = client.get(cart_link.removeprefix(settings.MARKETING_SITE_URL))
    assert response.status_code == 302 and response["Location"] == "/cart/"
    pixel = html.split('<img src="')[1].split('"')[0].removeprefix(settings.MARKETING_SITE_URL)
    assert client.get(pixel)["Content-Type"] == "image/gif"
    reminder = CartReminder.objects.get(step=1)
    assert reminder.clicked_at and reminder.opened_at


@pytest.mark.django_db
def test_an_order_stops_the_reminders(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    t0 = cart.updated_at
    _run(t0 + H)
    assert len(mail.outbox) == 1
    checkout_services.order_place(
        cart=cart,
        address=address_parse(data=dict(ADDRESS)),
        shipping_method="standard",
        payment_token=CARD_SUCCEEDS,
        idempotency_key="recover-0001",
    )
    out = _run(t0 + 6 * D)
    assert out["send"]["sent"] == 0 and len(mail.outbox) == 1
    assert CartAbandonment.objects.get(customer=customer).end_reason == "ordered"
    assert set(CartReminder.objects.filter(step__gt=1).values_list("status", flat=True)) == {"stopped"}


@pytest.mark.django_db
def test_an_emptied_cart_stops_even_a_claimed_step(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    t0 = cart.updated_at
    recovery.reminders_scan(now=t0 + H)  # found; step 1 due but not sent yet
    line = cart.lines.get()
    checkout_services.cart_remove_line(cart=cart, line_id=line.pk)
    out = recovery.reminders_send(now=t0 + H)  # the sender checks the cart after the claim
    assert out["sent"] == 0 and out["stopped"] == 1 and not mail.outbox
    assert CartAbandonment.objects.get(customer=customer).end_reason == "emptied"
    assert set(CartReminder.objects.values_list("status", flat=True)) == {"stopped"}


@pytest.mark.django_db
def test_a_changed_cart_restarts_the_schedule_from_the_change(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    t0 = cart.updated_at
    _run(t0 + H)
    cart = fill(customer, (products["bag"], 1))  # they came back and added something
    t1 = cart.updated_at
    out = _run(t1 + 30 * dt.timedelta(minutes=1))
    assert out["scan"]["ended"] == 1 and out["scan"]["found"] == 0 and len(mail.outbox) == 1
    assert CartAbandonment.objects.get(cart_changed_at=t0).end_reason == "changed"
    out = _run(t1 + H)  # an hour after the change: step 1 of the new abandonment
    assert out["scan"]["found"] == 1 and out["send"]["sent"] == 1 and len(mail.outbox) == 2
    assert "Jumbo Bag Red Retrospot" in mail.outbox[1].body
    assert _run(t0 + D)["send"]["sent"] == 0  # the old schedule's step 2 never goes out


@pytest.mark.django_db
def test_a_late_batch_sends_only_the_latest_due_step(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    out = _run(cart.updated_at + 2 * D)  # nothing ran for two days
    assert out["send"] == {"sent": 1, "failed": 0, "unsubscribed": 0, "no_address": 0, "skipped": 1}
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Your cart is still waiting"


@pytest.mark.django_db
def test_a_row_claimed_by_a_killed_batch_is_never_sent_again(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    t0 = cart.updated_at
    recovery.reminders_scan(now=t0 + H)
    # a batch claims the row (committed) and is killed before the mail goes out
    from marketing import sending

    claimed = sending.claim_next(CartReminder.objects.filter(due_at__lte=t0 + H).order_by("due_at", "id"))
    assert claimed.status == "sending"
    out = recovery.reminders_send(now=t0 + H)  # the restarted batch
    assert out["sent"] == 0 and not mail.outbox
    assert CartReminder.objects.get(pk=claimed.pk).status == "sending"  # left for the operator, not re-sent
    assert recovery.reminders_send(now=t0 + D)["sent"] == 1  # the next step still goes out, once


@pytest.mark.django_db
def test_the_holdout_gets_nothing_and_stays_held_out(products):
    customer = held_customer()
    cart = fill(customer, (products["heart"], 1))
    t0 = cart.updated_at
    for at in (t0 + H, t0 + D, t0 + 5 * D):
        out = _run(at)
        assert out["send"]["sent"] == 0
    assert not mail.outbox and not CartReminder.objects.exists()
    assert CartAbandonment.objects.get(customer=customer).group == "holdout"
    fill(customer, (products["bag"], 1))  # a new abandonment of the same customer: hold-out again
    _run(Cart.objects.get(customer=customer).updated_at + H)
    assert list(CartAbandonment.objects.filter(customer=customer).values_list("group", flat=True)) == ["holdout"] * 2
    assert not mail.outbox
    # the split is the hash: about the share over many customers, the same on every call
    ids = range(1, 4001)
    held = [i for i in ids if recovery.in_holdout(customer_id=i, share=0.15)]
    assert 0.13 < len(held) / 4000 < 0.17
    assert held == [i for i in ids if recovery.in_holdout(customer_id=i, share=0.15)]
    assert set(held) <= {i for i in ids if recovery.in_holdout(customer_id=i, share=0.2)}


@pytest.mark.django_db
def test_unsubscribed_or_addressless_customers_are_not_reminded_and_unsubscribe_works(products):
    gone = treated_customer()
    Unsubscribe.objects.create(customer=gone)
    nobody = treated_customer(user__email="")
    other = treated_customer()
    for c in (gone, nobody, other):
        fill(c, (products["heart"], 1))
    t0 = Cart.objects.order_by("-updated_at").first().updated_at
    out = _run(t0 + H)
    assert out["scan"]["not_emailable"] == 2 and out["scan"]["found"] == 1
    assert [m.to for m in mail.outbox] == [[other.user.email]]
    path = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.MARKETING_SITE_URL)
    client = Client(enforce_csrf_checks=True)
    assert "Unsubscribe from marketing e-mail?" in client.get(path).content.decode()
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Unsubscribe.objects.filter(customer=other).exists()
    out = _run(t0 + D)  # step 2 is claimed, then skipped: they unsubscribed after step 1
    assert out["send"]["sent"] == 0 and out["send"]["unsubscribed"] == 1 and len(mail.outbox) == 1
    assert client.post("/m/u/forged/").status_code == 404


@pytest.mark.django_db
def test_an_old_cart_is_not_reminded_when_first_seen(products):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    out = _run(cart.updated_at + 8 * D)  # past CART_REMINDER_MAX_IDLE (7d)
    assert out["scan"]["found"] == 0 and not mail.outbox


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"CART_REMINDER_SCHEDULE": ["1h", "fortnight"]}, "CART_REMINDER_SCHEDULE: 'fortnight' is not a duration"),
        ({"CART_REMINDER_SCHEDULE": ["1d", "1h"]}, "each delay must be longer than the one before"),
        ({"CART_REMINDER_SCHEDULE": []}, "CART_REMINDER_SCHEDULE: [] must be a non-empty list"),
        ({"CART_REMINDER_SCHEDULE": ["0h"]}, "'0h' must be longer than zero"),
        ({"CART_REMINDER_HOLDOUT_SHARE": 0.8}, "CART_REMINDER_HOLDOUT_SHARE: 0.8 must be a number from 0 to 0.5"),
        ({"CART_REMINDER_MAX_IDLE": "30m"}, "CART_REMINDER_MAX_IDLE must be longer than the first delay"),
        ({"CART_REMINDER_REPORT_DAYS": 0}, "CART_REMINDER_REPORT_DAYS: 0 must be a whole number"),
    ],
)
@pytest.mark.django_db
def test_bad_settings_are_refused_clearly_and_nothing_is_written(products, overrides, message):
    customer = treated_customer()
    cart = fill(customer, (products["heart"], 1))
    with override_settings(**overrides):
        (error,) = recovery.settings_check()
        assert message in error.msg and error.id == "marketing.E001"
        with pytest.raises(recovery.ReminderSettingsInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
            recovery.reminders_run(now=cart.updated_at + D)
        with pytest.raises(Exception, match="CART_REMINDER"):
            call_command("cart_reminders")
    assert not CartAbandonment.objects.exists() and not mail.outbox


@pytest.mark.django_db
def test_the_command_runs_the_job_with_counts(products, capsys):
    customer = treated_customer()
    fill(customer, (products["heart"], 1))
    with override_settings(CART_REMINDER_SCHEDULE=["1m", "1d"], CART_REMINDER_MAX_IDLE="1d"):
        Cart.objects.filter(customer=customer).update(updated_at=Cart.objects.get().updated_at - 2 * H)
        call_command("cart_reminders")
    out = capsys.readouterr().out
    assert "scan: found: 1, treatment: 1" in out and "send: sent: 1" in out and len(mail.outbox) == 1


# --- the report against hand-counted data -------------------------------------------


def _abandonment(customer, group, found_at):
    return CartAbandonment.objects.create(
        customer=customer, cart_changed_at=found_at - H, group=group, found_at=found_at, units=1, value=Decimal("5")
    )


def _order(customer, at, total, status=Order.Status.PAID):
    n = Order.objects.count() + 1
    return Order.objects.create(number=f"W{n:05d}", customer=customer, status=status, placed_at=at, total=total)


@pytest.mark.django_db
def test_the_report_against_hand_counted_values():
    t = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
    people = [CustomerFactory() for _ in range(10)]
    # treatment: 6 carts. A orders £30 after 2 days, B orders twice (£10, £20) in the window, C orders
    # after 9 days (outside the 7-day window), D's order is cancelled, E and F never order.
    a, b, c, d, e, f = people[:6]
    for p in (a, b, c, d, e, f):
        _abandonment(p, "treatment", t)
    _order(a, t + 2 * D, Decimal("30.00"))
    _order(b, t + D, Decimal("10.00"))
    _order(b, t + 3 * D, Decimal("20.00"))
    _order(c, t + 9 * D, Decimal("99.00"))
    _order(d, t + D, Decimal("50.00"), status=Order.Status.CANCELLED)
    # hold-out: 4 carts. G orders £12 after 1 hour; H, I, J never order.
    g, h, i, j = people[6:]
    for p in (g, h, i, j):
        _abandonment(p, "holdout", t)
    _order(g, t + H, Decimal("12.00"))
    # an order before the cart was found is no recovery
    _order(h, t - H, Decimal("40.00"))
    # a later abandonment of A owns A's later order (counted once, there: outside this report's carts)
    _abandonment(a, "treatment", t + 10 * D)
    _order(a, t + 11 * D, Decimal("70.00"))
    sent = CartAbandonment.objects.filter(customer__in=[a, b], found_at=t)
    for ab in sent:
        CartReminder.objects.create(abandonment=ab, customer=ab.customer, step=1, due_at=t, status="sent")
    r = recovery.recovery_report(since=t - D, until=t + D, days=7, now=t + 30 * D)
    assert (r.treatment.carts, r.treatment.reminded, r.treatment.recovered, r.treatment.orders) == (6, 2, 2, 3)
    assert r.treatment.revenue == Decimal("60.00") and r.treatment.rate == pytest.approx(2 / 6)
    assert (r.holdout.carts, r.holdout.recovered, r.holdout.orders, r.holdout.revenue) == (4, 1, 1, Decimal("12.00"))
    assert r.rate.diff == pytest.approx(2 / 6 - 1 / 4)
    # unpooled 95% interval: se = sqrt(p_t(1-p_t)/6 + p_h(1-p_h)/4)
    se = ((2 / 6) * (4 / 6) / 6 + 0.25 * 0.75 / 4) ** 0.5
    assert r.rate.low == pytest.approx(2 / 6 - 1 / 4 - 1.959964 * se, abs=1e-5)
    assert r.revenue.diff == pytest.approx(60 / 6 - 12 / 4)  # revenue per cart: £10 against £3
    assert r.incremental_orders == pytest.approx((2 / 6 - 1 / 4) * 6)
    assert r.incremental_revenue == pytest.approx(7 * 6)
    low, high = r.revenue_bootstrap
    assert low < 7 < high
    assert r.treatment.open_windows == 0


@pytest.mark.django_db
def test_the_admin_report_page(admin_client):
    from django.utils import timezone

    now = timezone.now()
    for k in range(4):
        _abandonment(CustomerFactory(), "treatment" if k % 2 else "holdout", now - 2 * D)
    page = admin_client.get("/admin/marketing/cartabandonment/report/?days=7&period=30")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="recovery-report"' in html
    assert 'data-group="treatment"' in html and "data:image/png;base64," in html
    assert "first delay of the schedule (1h, 1d, 5d)" in html and 'data-testid="incremental-rate"' in html
    assert "Recovery report" in admin_client.get("/admin/marketing/cartabandonment/").content.decode()
    bad = admin_client.get("/admin/marketing/cartabandonment/report/?days=abc").content.decode()
    assert "Days must be a whole number from 1 to 365" in bad


@pytest.mark.slow  # two real processes and a transactional database: about 30 s
@pytest.mark.django_db(transaction=True)
def test_a_killed_and_restarted_reminder_batch_mails_nobody_twice(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT, _test_database_url, wait_for
    from tests.marketing.test_campaigns import _mailed

    if not settings.USING_POSTGRES:
        pytest.skip("needs PostgreSQL: the sender runs in another process on the same database")
    product = ProductFactory(price=Decimal("2.95"))
    people = [treated_customer() for _ in range(12)]
    for c in people:
        fill(c, (product, 1))
    from django.utils import timezone

    Cart.objects.update(updated_at=timezone.now() - 2 * H)  # every cart left two hours ago: step 1 due
    outbox = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "TEST_DATABASE_URL": _test_database_url(),
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "TEST_EMAIL_FILE_PATH": str(outbox),
        "MARKETING_SEND_DELAY": "0.4",
    }
    cmd = [sys.executable, "manage.py", "cart_reminders"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: CartReminder.objects.filter(status="sent").count() >= 3, timeout=60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= CartReminder.objects.filter(status="sent").count() < 12
    env["MARKETING_SEND_DELAY"] = "0"
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    mailed = _mailed(outbox)
    assert len(mailed) == len(set(mailed)), "someone got the reminder twice"
    stuck = CartReminder.objects.filter(status="sending").count()
    assert stuck <= 1  # the one row claimed when the kill came: never re-sent blindly
    assert CartReminder.objects.filter(step=1, status="sent").count() == 12 - stuck
    assert CartAbandonment.objects.count() == 12 and set(mailed) <= {p.user.email for p in people}


@pytest.mark.django_db
def test_on_the_trained_shop_the_email_completes_the_cart_with_four_products(shop):
    customer = shop["customers"][8]
    customer.user.email = "shopper8@example.com"
    customer.user.save()
    if recovery.in_holdout(customer_id=customer.pk, share=0.15):
        pytest.skip("this customer hashes into the hold-out")
    mine = [shop["products"][name] for name in ("WHITE HANGING HEART T-LIGHT HOLDER", "JUMBO BAG RED RETROSPOT")]
    cart = fill(customer, *[(p, 1) for p in mine])
    _run(cart.updated_at + H)
    body = mail.outbox[0].body
    completing = [line for line in body.split("To complete it:")[1].splitlines() if line.startswith("- ")]
    assert len(completing) == 4, body
    assert all("(Often bought with " in line for line in completing)
    assert not any(line.startswith(f"- {p.display_name}, £") for p in mine for line in completing)  # not in the cart
