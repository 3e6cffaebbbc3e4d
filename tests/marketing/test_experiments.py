"""Experiments: deterministic, weighted, sticky assignment (across visits and
after login), validation, the API, exposures as events, and the seam that lets
a variant choose the model and size behind a recommendation slot."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from marketing import services
from marketing.assignment import assign
from marketing.errors import ExperimentInvalid
from marketing.models import Assignment, Experiment
from marketing.services import VariantSpec
from profiles.models import Event
from tests.profiles.factories import CustomerFactory, UserFactory

AB = [VariantSpec("control", 0.5, True, "itemknn"), VariantSpec("pop", 0.5, False, "popularity", 3)]


def running(key="home-test", slot="home_for_you", variants=AB, traffic=1.0):
    experiment = services.experiment_create(key=key, name=key, slot=slot, variants=variants, traffic=traffic)
    return services.experiment_start(experiment=experiment)


def test_assignment_is_deterministic_weighted_and_honours_traffic():
    weights = [("a", 0.2), ("b", 0.8)]
    first = [assign(experiment_key="e1", unit=f"c:{i}", traffic=1.0, weights=weights) for i in range(20000)]
    again = [assign(experiment_key="e1", unit=f"c:{i}", traffic=1.0, weights=weights) for i in range(20000)]
    assert first == again
    share = Counter(first)["a"] / len(first)
    assert 0.19 < share < 0.21  # 20% ± 4.5 standard errors
    other = [assign(experiment_key="e2", unit=f"c:{i}", traffic=1.0, weights=weights) for i in range(20000)]
    assert sum(x != y for x, y in zip(first, other, strict=True)) > 5000  # another key, another split
    partial = [assign(experiment_key="e1", unit=f"c:{i}", traffic=0.3, weights=weights) for i in range(20000)]
    assert 0.28 < sum(p is not None for p in partial) / len(partial) < 0.32
    # a unit inside the share gets the same variant as with full traffic
    assert all(p == f for p, f in zip(partial, first, strict=True) if p is not None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "variants, message",
    [
        ([VariantSpec("a", 0.5, True), VariantSpec("b", 0.4)], "weights must sum to 1, not 0.9"),
        ([VariantSpec("a", 0.5), VariantSpec("b", 0.5)], "exactly one variant must be the control"),
        ([VariantSpec("a", 1.0, True)], "at least two variants"),
        ([VariantSpec("a", 0.5, True), VariantSpec("a", 0.5)], "keys must differ"),
        ([VariantSpec("a", 0.5, True), VariantSpec("b", 0.5, False, "gpt")], "unknown model 'gpt'"),
    ],
)
def test_bad_experiments_are_refused_and_nothing_is_stored(variants, message):
    with pytest.raises(ExperimentInvalid, match=message):
        services.experiment_create(key="bad", name="bad", slot="home_for_you", variants=variants)
    assert not Experiment.objects.exists()


@pytest.mark.django_db
def test_two_running_experiments_on_one_slot_are_refused():
    running("first")
    second = services.experiment_create(key="second", name="second", slot="home_for_you", variants=AB)
    with pytest.raises(ExperimentInvalid, match="'first' is already running on slot home_for_you"):
        services.experiment_start(experiment=second)
    assert Experiment.objects.get(key="second").status == Experiment.Status.DRAFT
    other_slot = services.experiment_create(key="third", name="third", slot="home_trending", variants=AB)
    assert services.experiment_start(experiment=other_slot).status == Experiment.Status.RUNNING


def _variant(client) -> str:
    rows = client.get("/api/experiments/mine/").json()
    return next(r["variant"] for r in rows if r["experiment"] == "home-test")


@pytest.mark.django_db
def test_an_anonymous_visitor_keeps_their_variant_across_visits_and_after_login(client):
    running()
    seen = _variant(client)
    assert all(_variant(client) == seen for _ in range(3))
    session_key = client.session.session_key
    row = Assignment.objects.get()
    assert row.session_key == session_key and row.customer is None and row.variant.key == seen
    # one exposure event for the first exposure, owned by the session
    exposure = Event.objects.get(kind="exposure")
    assert exposure.data == {"experiment": "home-test", "variant": seen} and exposure.session_key == session_key
    # a customer whose own hash would give the *other* variant: login must not flip them
    weights = [("control", 0.5), ("pop", 0.5)]
    while True:
        customer = CustomerFactory(user=UserFactory(password="pw-123456"))
        if assign(experiment_key="home-test", unit=f"c:{customer.pk}", traffic=1.0, weights=weights) != seen:
            break
    response = client.post("/accounts/login/", {"username": customer.user.username, "password": "pw-123456"})
    assert response.status_code == 302
    assert client.session.session_key != session_key  # Django cycled the key
    assert _variant(client) == seen
    assert Assignment.objects.get().customer == customer
    # in another browser, logged in, the customer still has it
    from django.test import Client

    other = Client()
    other.force_login(customer.user)
    assert _variant(other) == seen and Assignment.objects.count() == 1


@pytest.mark.django_db
def test_outside_the_traffic_share_nobody_is_assigned(client):
    running(traffic=0.000001)
    assert client.get("/api/experiments/mine/").json() == []
    assert not Assignment.objects.exists() and not Event.objects.filter(kind="exposure").exists()


@pytest.mark.django_db
def test_stopped_experiment_assigns_no_one(client):
    experiment = running()
    services.experiment_stop(experiment=experiment)
    assert client.get("/api/experiments/mine/").json() == []


def _home_for_you(client) -> tuple[str, int]:
    html = client.get("/").content.decode()
    m = re.search(
        r'<section class="rec-slot[^"]*"[^>]*data-slot="home_for_you" data-model="([^"]*)"(.*?)</section>', html, re.S
    )
    assert m, "no home_for_you slot"
    return m.group(1), len(re.findall(r'data-product="(\d+)"', m.group(2)))


@pytest.mark.django_db
def test_a_variant_chooses_the_model_and_size_behind_the_slot(client, shop):
    running()
    weights = [("control", 0.5), ("pop", 0.5)]
    groups = {"control": [], "pop": []}
    for customer in shop["customers"][4:]:
        groups[assign(experiment_key="home-test", unit=f"c:{customer.pk}", traffic=1.0, weights=weights)].append(
            customer
        )
    for key, model, size in (("control", "itemknn", 6), ("pop", "popularity", 3)):
        for customer in groups[key][:2]:
            client.force_login(customer.user)
            assert _home_for_you(client) == (model, size)
            assert Assignment.objects.get(customer=customer).variant.key == key
    client.logout()


@pytest.mark.django_db
def test_admin_refuses_weights_that_do_not_sum_to_one_and_a_second_running_experiment(admin_client):
    running("first")

    def post(key, status, weights):
        data = {
            "key": key,
            "name": key,
            "slot": "home_for_you",
            "status": status,
            "traffic": "1",
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "0",
            "variants-0-key": "control",
            "variants-0-weight": weights[0],
            "variants-0-is_control": "on",
            "variants-1-key": "treat",
            "variants-1-weight": weights[1],
            "variants-1-model": "popularity",
        }
        return admin_client.post("/admin/marketing/experiment/add/", data)

    page = post("second", "draft", ["0.5", "0.6"]).content.decode()
    assert "variant weights must sum to 1, not 1.1" in page
    page = post("second", "running", ["0.5", "0.5"]).content.decode()
    assert "&#x27;first&#x27; is already running on slot home_for_you" in page
    assert list(Experiment.objects.values_list("key", flat=True)) == ["first"]
    assert post("second", "draft", ["0.5", "0.5"]).status_code == 302
