"""Segments: rules over portrait fields, validated, evaluated by the ORM, shown
live in the admin, exported as CSV, and what checkout's coupons point at."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from profiles import selectors
from profiles.errors import SegmentRuleInvalid
from profiles.models import Portrait, Segment

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db


def portrait(country="United Kingdom", segment="loyal", churn=0.1, bulk=False, monetary="100.00", **kw):
    customer = CustomerFactory(country=country)
    return Portrait.objects.create(
        customer=customer,
        reference_time=timezone.now(),
        country=country,
        segment=segment,
        churn_risk=churn,
        is_bulk_buyer=bulk,
        monetary=Decimal(monetary),
        has_purchases=True,
        **kw,
    )


def rule(*conditions, match="all"):
    return {"match": match, "conditions": [{"field": f, "op": o, "value": v} for f, o, v in conditions]}


@pytest.fixture
def people():
    return {
        "de_risk": portrait("Germany", "at_risk", 0.8, monetary="250.00"),
        "de_loyal": portrait("Germany", "loyal", 0.2, monetary="80.00"),
        "uk_risk": portrait("United Kingdom", "at_risk", 0.75, bulk=True, seasonality="christmas"),
        "fr_bulk": portrait("France", "champions", 0.05, bulk=True, seasonality="christmas", monetary="900.50"),
    }


def members(r):
    return set(selectors.segment_members(rule=r).values_list("pk", flat=True))


def test_rules_select_exactly_the_matching_portraits(people):
    ids = {k: p.customer_id for k, p in people.items()}
    assert members(rule(("segment", "eq", "at_risk"), ("country", "eq", "Germany"))) == {ids["de_risk"]}
    assert members(rule(("churn_risk", "gt", 0.7))) == {ids["de_risk"], ids["uk_risk"]}
    assert members(rule(("is_bulk_buyer", "eq", True), ("seasonality", "eq", "christmas"))) == {
        ids["uk_risk"],
        ids["fr_bulk"],
    }
    assert members(rule(("country", "in", ["France", "Germany"]), ("segment", "ne", "loyal"))) == {
        ids["de_risk"],
        ids["fr_bulk"],
    }
    either = rule(("country", "eq", "France"), ("churn_risk", "gte", 0.8), match="any")
    assert members(either) == {ids["de_risk"], ids["fr_bulk"]}
    # a customer without a portrait is in no segment, even one that "matches everything"
    CustomerFactory(country="Germany")
    assert members(rule(("churn_risk", "gte", 0))) == set(ids.values())


def test_stats_count_members_and_their_revenue(people):
    stats = selectors.segment_stats(rule=rule(("country", "eq", "Germany")))
    assert stats == {"members": 2, "revenue": Decimal("330.00")}
    assert selectors.segment_stats(rule=rule(("country", "eq", "Peru"))) == {"members": 0, "revenue": Decimal("0")}


@pytest.mark.parametrize(
    "bad, message",
    [
        (rule(("favourite_colour", "eq", "red")), "unknown field 'favourite_colour'"),
        (rule(("churn_risk", "like", 0.5)), "operator 'like' does not apply to churn_risk"),
        (rule(("country", "gt", "Germany")), "operator 'gt' does not apply to country"),
        (rule(("segment", "eq", "vip")), "'vip' is not an RFM segment"),
        (rule(("churn_risk", "gt", "high")), "churn_risk needs a number"),
        (rule(("is_bulk_buyer", "eq", "yes")), "needs true or false"),
        (rule(("frequency", "gte", 2.5)), "needs a whole number"),
        (rule(("country", "in", [])), "non-empty list"),
        ({"match": "all", "conditions": []}, "at least one condition"),
        ({"match": "most", "conditions": [{"field": "country", "op": "eq", "value": "X"}]}, 'match must be "all"'),
        ([1, 2], "a rule is an object"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(bad, message):
    with pytest.raises(SegmentRuleInvalid, match=message.replace("(", r"\(")):
        selectors.segment_rule_parse(rule=bad)


def test_customer_in_segment_follows_the_portrait(people):
    segment = Segment.objects.create(name="German at risk", rule=rule(("country", "eq", "Germany")))
    p = people["de_loyal"]
    assert selectors.customer_in_segment(customer_id=p.customer_id, segment_id=segment.pk)
    assert not selectors.customer_in_segment(customer_id=people["fr_bulk"].customer_id, segment_id=segment.pk)
    assert not selectors.customer_in_segment(customer_id=None, segment_id=segment.pk)
    Portrait.objects.filter(pk=p.pk).update(country="Austria")
    assert not selectors.customer_in_segment(customer_id=p.customer_id, segment_id=segment.pk)


def test_admin_saves_a_valid_rule_and_refuses_a_bad_one(admin_client, people):
    url = reverse("admin:profiles_segment_add")
    bad = admin_client.post(url, {"name": "Bad", "rule": json.dumps(rule(("shoe_size", "eq", 9)))})
    assert bad.status_code == 200 and "unknown field &#x27;shoe_size&#x27;" in bad.content.decode()
    assert not Segment.objects.exists()
    good = rule(("segment", "eq", "at_risk"), ("country", "eq", "Germany"))
    preview = admin_client.post(url, {"name": "DE risk", "rule": json.dumps(good), "_preview": "1"})
    assert "Preview (not saved): 1 members, £250.00 net revenue" in preview.content.decode()
    assert not Segment.objects.exists()
    saved = admin_client.post(url, {"name": "DE risk", "rule": json.dumps(good)})
    assert saved.status_code == 302
    segment = Segment.objects.get()
    page = admin_client.get(reverse("admin:profiles_segment_change", args=[segment.pk])).content.decode()
    assert "1 members, £250.00 net revenue" in page and "Preview members" in page


def test_admin_preview_endpoint_gives_live_figures_or_the_error(admin_client, people):
    url = reverse("admin:profiles_segment_preview")
    ok = admin_client.post(url, {"rule": json.dumps(rule(("churn_risk", "gt", 0.7)))}, content_type="application/json")
    assert ok.json() == {"members": 2, "revenue": "350.00"}
    bad = admin_client.post(url, {"rule": '{"conditions": [{"field": "x"'}, content_type="application/json")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    unknown = admin_client.post(url, {"rule": rule(("x", "eq", 1))}, content_type="application/json")
    assert unknown.status_code == 400 and "unknown field 'x'" in unknown.json()["error"]


def test_members_export_as_csv(admin_client, people):
    segment = Segment.objects.create(name="Bulk at Christmas", rule=rule(("is_bulk_buyer", "eq", True)))
    response = admin_client.get(reverse("admin:profiles_segment_csv", args=[segment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="bulk-at-christmas.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {int(r["customer_id"]) for r in rows} == {people["uk_risk"].customer_id, people["fr_bulk"].customer_id}
    assert {r["net_spend"] for r in rows} == {"100.00", "900.50"}
