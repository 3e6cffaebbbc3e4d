"""Page experiments: the number of recommendation slots a page shows as the
variable. Validation (also in the admin), the real home page through the
serving seam, exposure, and results that count clicks in the page's slots."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing import selectors, services
from marketing.assignment import assign
from marketing.errors import ExperimentInvalid
from marketing.models import Assignment, Experiment
from marketing.services import VariantSpec
from profiles.models import Event
from tests.profiles.factories import CustomerFactory, ProductFactory

TWO_FOUR = [VariantSpec("four", 0.5, True, slots=4), VariantSpec("two", 0.5, False, slots=2)]


def running(key="home-slots", page="home", variants=TWO_FOUR):
    experiment = services.experiment_create(key=key, name=key, page=page, variants=variants)
    return services.experiment_start(experiment=experiment)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, variants, message",
    [
        ({"page": "basket"}, TWO_FOUR, "unknown page 'basket'; pages: home, product"),
        ({"page": "home", "slot": "home_for_you"}, TWO_FOUR, "one slot or the number of slots on one page, not both"),
        (
            {"page": "home"},
            [VariantSpec("four", 0.5, True, slots=4), VariantSpec("six", 0.5, False, slots=6)],
            "variant six: 6 slots is out of range: the home page has 0 to 5",
        ),
        (
            {"page": "cart"},
            [VariantSpec("one", 0.5, True, slots=1), VariantSpec("two", 0.5, False, slots=2)],
            "variant two: 2 slots is out of range: the cart page has 0 to 1",
        ),
        (
            {"page": "home"},
            [VariantSpec("four", 0.5, True, slots=4), VariantSpec("neg", 0.5, False, slots=-1)],
            "variant neg: -1 slots is out of range",
        ),
        (
            {"page": "home"},
            [VariantSpec("four", 0.5, True, slots=4), VariantSpec("blank", 0.5)],
            "variant blank: a page experiment needs the number of slots of every variant",
        ),
        ({"slot": "home_for_you"}, TWO_FOUR, "variant four sets a number of slots, so the experiment needs a page"),
        (
            {"page": "home"},
            [VariantSpec("four", 0.5, True, slots=4), VariantSpec("pop", 0.5, False, "popularity", slots=2)],
            "variant pop sets a model or a size, so the experiment needs a slot",
        ),
    ],
)
def test_bad_page_experiments_are_refused_and_nothing_is_stored(fields, variants, message):
    with pytest.raises(ExperimentInvalid, match=re.escape(message)):
        services.experiment_create(key="bad", name="bad", variants=variants, **fields)
    assert not Experiment.objects.exists()


@pytest.mark.django_db
def test_two_running_experiments_on_one_page_are_refused_but_another_page_is_fine():
    running("first")
    second = services.experiment_create(key="second", name="second", page="home", variants=TWO_FOUR)
    with pytest.raises(ExperimentInvalid, match="'first' is already running on page home; stop it first"):
        services.experiment_start(experiment=second)
    assert Experiment.objects.get(key="second").status == Experiment.Status.DRAFT
    product = running(
        "product-slots",
        page="product",
        variants=[VariantSpec("all", 0.5, True, slots=4), VariantSpec("one", 0.5, False, slots=1)],
    )
    assert product.status == Experiment.Status.RUNNING
    # a slot experiment on a slot of the home page is another experiment, on its own hash
    slot = services.experiment_create(
        key="slot",
        name="slot",
        slot="home_for_you",
        variants=[VariantSpec("c", 0.5, True, "itemknn"), VariantSpec("p", 0.5, False, "popularity")],
    )
    assert services.experiment_start(experiment=slot).status == Experiment.Status.RUNNING


def _home_slots(client) -> list[str]:
    html = client.get("/").content.decode()
    return re.findall(r'<section class="rec-slot[^"]*"[^>]*data-slot="([^"]+)"', html)


@pytest.mark.django_db
def test_each_variant_sees_its_number_of_slots_on_the_real_home_page(client, shop):
    weights = [("all", 0.5), ("two", 0.5)]
    variant_of = {
        c.pk: assign(experiment_key="home-slots", unit=f"c:{c.pk}", traffic=1.0, weights=weights)
        for c in shop["customers"]
    }
    baseline = {}
    for customer in shop["customers"]:
        client.force_login(customer.user)
        baseline[customer.pk] = _home_slots(client)
    running(variants=[VariantSpec("all", 0.5, True, slots=5), VariantSpec("two", 0.5, False, slots=2)])
    cut = 0
    for customer in shop["customers"]:
        client.force_login(customer.user)
        shown = _home_slots(client)
        key = variant_of[customer.pk]
        assert shown == baseline[customer.pk][: 5 if key == "all" else 2], (key, customer.pk)
        assert Assignment.objects.get(customer=customer).variant.key == key
        cut += key == "two" and len(baseline[customer.pk]) > 2
    assert cut >= 2  # the variant visibly removed slots for some shoppers
    assert any(len(baseline[c]) > 2 for c, k in variant_of.items() if k == "all")  # ... and the control kept them
    two = next(c for c in shop["customers"] if variant_of[c.pk] == "two")
    exposure = Event.objects.filter(kind="exposure", customer=two).get()
    assert exposure.data == {"experiment": "home-slots", "variant": "two", "page": "home"}
    client.logout()


@pytest.mark.django_db
def test_zero_slots_shows_the_page_without_recommendations(client, shop):
    running(variants=[VariantSpec("all", 0.5, True, slots=0), VariantSpec("none", 0.5, False, slots=0)])
    client.force_login(shop["customers"][0].user)
    response = client.get("/")
    assert response.status_code == 200
    assert 'class="rec-slot' not in response.content.decode()
    assert Assignment.objects.filter(customer=shop["customers"][0]).exists()


@pytest.mark.django_db
def test_api_tells_a_client_its_page_variant(client):
    running()
    rows = client.get("/api/experiments/mine/").json()
    assert len(rows) == 1
    row = rows[0]
    assert row["experiment"] == "home-slots" and row["page"] == "home" and row["slot"] == ""
    assert row["slots"] == {"four": 4, "two": 2}[row["variant"]]


@pytest.mark.django_db
def test_results_count_clicks_in_any_slot_of_the_page_only():
    experiment = running()
    product = ProductFactory(price=Decimal("4.00"))
    start = experiment.starts_at
    people = {key: [] for key in ("four", "two")}
    for i in range(8):
        customer = CustomerFactory()
        key = "four" if i % 2 else "two"
        variant = experiment.variants.get(key=key)
        Assignment.objects.create(
            experiment=experiment, variant=variant, customer=customer, first_exposed_at=start + dt.timedelta(minutes=1)
        )
        people[key].append(customer)

    def event(customer, kind, slot="", price=None, quantity=None):
        Event.objects.create(
            kind=kind,
            customer=customer,
            product=product,
            slot=slot,
            price=price,
            quantity=quantity,
            created_at=start + dt.timedelta(minutes=5),
        )

    event(people["four"][0], "rec_click", slot="home_for_you")
    event(people["four"][1], "rec_click", slot="home_trending")
    event(people["two"][0], "rec_click", slot="home_country")
    event(people["two"][1], "rec_click", slot="product_similar")  # another page: not this experiment's click
    event(people["two"][2], "purchase", price=Decimal("4.00"), quantity=3)
    results = selectors.experiment_results(experiment=experiment, until=timezone.now() + dt.timedelta(hours=1))
    by_key = {v.key: v for v in results.variants}
    assert (by_key["four"].units, by_key["four"].clicked, by_key["four"].slots) == (4, 2, 4)
    assert (by_key["two"].units, by_key["two"].clicked, by_key["two"].converted) == (4, 1, 1)
    assert sorted(by_key["two"].revenue) == [0.0, 0.0, 0.0, 12.0]
    assert [c["variant"] for c in results.comparisons] == ["two"]


@pytest.mark.django_db
def test_admin_refuses_an_out_of_range_count_and_a_second_experiment_on_the_page(admin_client):
    running("first")

    def post(key, status, slots):
        data = {
            "key": key,
            "name": key,
            "page": "home",
            "status": status,
            "traffic": "1",
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "0",
            "variants-0-key": "control",
            "variants-0-weight": "0.5",
            "variants-0-is_control": "on",
            "variants-0-slots": slots[0],
            "variants-1-key": "treat",
            "variants-1-weight": "0.5",
            "variants-1-slots": slots[1],
        }
        return admin_client.post("/admin/marketing/experiment/add/", data)

    page = post("second", "draft", ["5", "9"]).content.decode()
    assert "variant treat: 9 slots is out of range: the home page has 0 to 5" in page
    page = post("second", "running", ["5", "2"]).content.decode()
    assert "&#x27;first&#x27; is already running on page home" in page
    assert list(Experiment.objects.values_list("key", flat=True)) == ["first"]
    assert post("second", "draft", ["5", "2"]).status_code == 302
    assert sorted(Experiment.objects.get(key="second").variants.values_list("slots", flat=True)) == [2, 5]
