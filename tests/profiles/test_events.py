from decimal import Decimal

import pytest
from django.core.cache import cache

from profiles import services
from profiles.models import Event, Portrait

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_view_is_stored_with_product_and_session():
    product = ProductFactory()
    event = services.event_record(kind="view", session_key="abc", product=product)
    stored = Event.objects.get(pk=event.pk)
    assert (stored.kind, stored.product_id, stored.session_key, stored.customer_id) == ("view", product.pk, "abc", None)


def test_a_product_may_be_given_by_id():
    product = ProductFactory()
    event = services.event_record(kind="add_to_cart", session_key="s", product=product.pk, quantity=3)
    assert event.product == product and event.quantity == 3


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"kind": "teleport"}, "kind", "unknown event kind"),
        ({"kind": "view", "product": 987654}, "product", "unknown product 987654"),
        ({"kind": "view", "product": "abc"}, "product", "product must be"),
        ({"kind": "view"}, "product", "needs a product"),
        ({"kind": "add_to_cart", "quantity": 0}, "quantity", "impossible quantity 0"),
        ({"kind": "add_to_cart", "quantity": -5}, "quantity", "impossible quantity -5"),
        ({"kind": "add_to_cart", "quantity": 10**7}, "quantity", "impossible quantity"),
        ({"kind": "add_to_cart", "quantity": 2.5}, "quantity", "whole number"),
        ({"kind": "add_to_cart", "quantity": True}, "quantity", "whole number"),
        ({"kind": "add_to_cart"}, "quantity", "needs a quantity"),
        ({"kind": "purchase", "quantity": 1}, "price", "needs a price"),
        ({"kind": "purchase", "quantity": 1, "price": Decimal("-1")}, "price", "impossible price"),
        ({"kind": "search", "query": "   "}, "query", "needs a query"),
        ({"kind": "rec_impression", "slot": "home"}, "slot", "slot and a model version"),
        ({"kind": "search", "query": "x", "session_key": ""}, "session_key", "customer or a session"),
    ],
)
def test_bad_events_are_rejected_with_a_clear_error_and_nothing_is_stored(kwargs, field, words):
    product = ProductFactory()
    kwargs = {"session_key": "s1", **kwargs}
    if kwargs.get("kind") in {"add_to_cart", "purchase"}:
        kwargs.setdefault("product", product)
    with pytest.raises(services.InvalidEvent) as err:
        services.event_record(**kwargs)
    assert err.value.field == field
    assert words in str(err.value)
    assert Event.objects.count() == 0


def test_purchase_price_is_kept_as_money_with_two_places():
    event = services.event_record(
        kind="purchase",
        session_key="s",
        product=ProductFactory(),
        quantity=2,
        price=Decimal("1.255"),
        order_number="536365",
    )
    event.refresh_from_db()
    assert event.price == Decimal("1.26") and event.order_number == "536365"


def test_recommendation_events_keep_slot_and_model_version():
    product = ProductFactory()
    services.event_record(kind="rec_impression", session_key="s", product=product, slot="home", model_version="ease-3")
    services.event_record(kind="rec_click", session_key="s", product=product, slot="home", model_version="ease-3")
    assert list(Event.objects.order_by("id").values_list("kind", "slot", "model_version")) == [
        ("rec_impression", "home", "ease-3"),
        ("rec_click", "home", "ease-3"),
    ]


def test_a_customer_event_updates_the_portrait_after_commit(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    product = ProductFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.event_record(kind="view", customer=customer, product=product)
    assert len(callbacks) == 1
    portrait = Portrait.objects.get(customer=customer)  # eager Celery in tests: the task ran
    assert portrait.event_counts == {"view": 1}
    assert portrait.category_affinities[0]["category_id"] == product.category_id


def test_portrait_updates_are_debounced_per_customer(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    other = CustomerFactory()
    assert services.portrait_update_schedule(customer_id=customer.pk) is True
    assert services.portrait_update_schedule(customer_id=customer.pk) is False
    assert services.portrait_update_schedule(customer_id=other.pk) is True


def test_anonymous_events_queue_no_portrait_work(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.event_record(kind="view", session_key="anon", product=ProductFactory())
    assert callbacks == []


def test_session_events_are_attached_to_the_customer():
    customer = CustomerFactory()
    product = ProductFactory()
    services.event_record(kind="view", session_key="k1", product=product)
    services.event_record(kind="view", session_key="k2", product=product)
    assert services.events_attach_session(session_key="k1", customer=customer) == 1
    assert list(Event.objects.filter(customer=customer).values_list("session_key", flat=True)) == ["k1"]
    assert Event.objects.get(session_key="k2").customer_id is None


def test_several_events_are_stored_at_once_or_not_at_all():
    customer = CustomerFactory()
    rec = {"kind": "rec_impression", "customer": customer, "model_version": "v1", "data": {"products": [1]}}
    stored = services.events_record_many(events=[{**rec, "slot": "home_for_you"}, {**rec, "slot": "home_trending"}])
    assert sorted(Event.objects.filter(customer=customer).values_list("slot", flat=True)) == [
        "home_for_you",
        "home_trending",
    ]
    assert all(e.pk for e in stored)
    with pytest.raises(services.InvalidEvent):  # the second has no slot: neither is written
        services.events_record_many(events=[{**rec, "slot": "home_buy_again"}, {**rec, "slot": ""}])
    assert Event.objects.filter(customer=customer).count() == 2
    assert services.events_record_many(events=[]) == []
