"""An experiment's results from real events: per-variant outcomes after the
first exposure, the pre-period covariate, SRM flag and the admin dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing import selectors, services
from marketing.models import Assignment
from marketing.services import VariantSpec
from profiles.models import Event
from tests.profiles.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment():
    e = services.experiment_create(
        key="res",
        name="Results",
        slot="home_for_you",
        variants=[VariantSpec("control", 0.5, True), VariantSpec("treat", 0.5, False, "popularity")],
    )
    return services.experiment_start(experiment=e)


def event(customer, kind, when, product, price=None, quantity=None, slot=""):
    return Event.objects.create(
        kind=kind, customer=customer, product=product, price=price, quantity=quantity, slot=slot, created_at=when
    )


def test_outcomes_count_only_what_happened_after_the_first_exposure(experiment):
    product = ProductFactory(price=Decimal("5.00"))
    start = experiment.starts_at
    control, treat = experiment.variants.get(key="control"), experiment.variants.get(key="treat")
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    exposed = start + dt.timedelta(minutes=5)
    for customer, variant in ((a, control), (b, treat), (c, treat)):
        Assignment.objects.create(experiment=experiment, variant=variant, customer=customer, first_exposed_at=exposed)
    event(a, "purchase", start - dt.timedelta(days=10), product, Decimal("5.00"), 4)  # pre-period: £20
    event(a, "purchase", exposed - dt.timedelta(minutes=1), product, Decimal("5.00"), 1)  # before exposure: ignored
    event(b, "rec_click", exposed + dt.timedelta(minutes=1), product, slot="home_for_you")
    event(b, "add_to_cart", exposed + dt.timedelta(minutes=2), product, quantity=2)
    event(b, "purchase", exposed + dt.timedelta(minutes=3), product, Decimal("5.00"), 2)
    event(c, "rec_click", exposed + dt.timedelta(minutes=1), product, slot="home_trending")  # another slot
    out = selectors.experiment_unit_outcomes(experiment=experiment, until=timezone.now() + dt.timedelta(hours=1))
    assert (out["control"].units, out["control"].converted, out["control"].revenue, out["control"].pre) == (
        1,
        0,
        [0.0],
        [20.0],
    )
    t = out["treat"]
    assert (t.units, t.clicked, t.added, t.converted) == (2, 1, 1, 1)
    assert sorted(t.revenue) == [0.0, 10.0] and t.rpv == 5.0


def test_dashboard_flags_a_sample_ratio_mismatch_and_warns_before_the_horizon(admin_client, experiment):
    control, treat = experiment.variants.get(key="control"), experiment.variants.get(key="treat")
    now = timezone.now()
    for i in range(80):
        variant = control if i < 60 else treat  # 60 / 20 at 50 / 50: χ² = 20, p = 7.7e-6
        Assignment.objects.create(
            experiment=experiment, variant=variant, customer=CustomerFactory(), first_exposed_at=now
        )
    page = admin_client.get(reverse("admin:marketing_experiment_results", args=[experiment.pk])).content.decode()
    assert "Sample ratio mismatch" in page and "χ² = 20.00" in page
    assert "No planned sample size" in page
    assert 'data-testid="results-chart"' in page and "two-proportion z" in page and "CUPED" in page


def test_balanced_assignment_from_the_hash_passes_the_srm_check(client, experiment):
    from profiles.selectors import Shopper

    for _ in range(400):
        services.assignment_for(
            experiment=services.running_experiments()[0], shopper=Shopper(customer=CustomerFactory())
        )
    results = selectors.experiment_results(experiment=experiment, n_boot=200)
    assert sum(v.units for v in results.variants) == 400
    assert not results.srm.mismatch
