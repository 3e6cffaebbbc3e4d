"""The shopper's history as serving reads it: cached, read incrementally, and
never stale after the services that rewrite events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from profiles import selectors, services

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def products_of(history):
    return [(e.kind, e.product_id) for e in history]


def test_new_events_appear_on_the_next_read_in_time_order(django_assert_max_num_queries):
    customer = CustomerFactory()
    a, b, c = ProductFactory(), ProductFactory(), ProductFactory()
    services.event_record(kind="view", customer=customer, product=a)
    first = selectors.shopper_history(customer_id=customer.pk)
    assert products_of(first) == [("view", a.pk)]
    services.event_record(kind="add_to_cart", customer=customer, product=b, quantity=2)
    # an event dated earlier (an import) still takes its place by time
    services.event_record(
        kind="purchase",
        customer=customer,
        product=c,
        quantity=1,
        price=Decimal("2.50"),
        created_at=timezone.now() - dt.timedelta(days=3),
    )
    with django_assert_max_num_queries(1):  # only what was written since
        second = selectors.shopper_history(customer_id=customer.pk)
    assert products_of(second) == [("purchase", c.pk), ("view", a.pk), ("add_to_cart", b.pk)]
    assert products_of(selectors.shopper_history(customer_id=customer.pk, limit=2)) == [
        ("view", a.pk),
        ("add_to_cart", b.pk),
    ]


def test_a_cancelled_order_leaves_the_cached_history():
    customer = CustomerFactory()
    mug, bag = ProductFactory(), ProductFactory()
    for product, number in ((mug, "A1"), (bag, "A2")):
        services.event_record(
            kind="purchase", customer=customer, product=product, quantity=1, price=Decimal("2.50"), order_number=number
        )
    assert {p for _, p in products_of(selectors.shopper_history(customer_id=customer.pk))} == {mug.pk, bag.pk}
    services.purchase_events_cancel(order_number="A1")
    assert products_of(selectors.shopper_history(customer_id=customer.pk)) == [("purchase", bag.pk)]


def test_a_login_moves_the_session_history_to_the_customer():
    customer = CustomerFactory()
    mug, bag = ProductFactory(), ProductFactory()
    services.event_record(
        kind="purchase",
        customer=customer,
        product=mug,
        quantity=1,
        price=Decimal("2.50"),
        order_number="B1",
        created_at=timezone.now() - dt.timedelta(days=1),
    )
    services.event_record(kind="view", session_key="anon", product=bag)
    assert products_of(selectors.shopper_history(customer_id=customer.pk)) == [("purchase", mug.pk)]
    assert products_of(selectors.shopper_history(customer_id=None, session_key="anon")) == [("view", bag.pk)]
    services.events_attach_session(session_key="anon", customer=customer)
    assert products_of(selectors.shopper_history(customer_id=customer.pk)) == [("purchase", mug.pk), ("view", bag.pk)]
    assert selectors.shopper_history(customer_id=None, session_key="anon") == []


def test_deleting_the_shoppers_data_empties_the_history():
    customer = CustomerFactory()
    services.event_record(kind="view", customer=customer, product=ProductFactory())
    assert selectors.shopper_history(customer_id=customer.pk)
    services.behaviour_history_delete(customer=customer)
    assert selectors.shopper_history(customer_id=customer.pk) == []


def latest_ids(customer_id):
    return (
        selectors.shopper_latest_event_id(customer_id=customer_id),
        selectors.shopper_latest_event_id(customer_id=customer_id, kinds=("purchase",)),
    )


def test_one_read_gives_the_history_and_the_newest_ids_the_caches_are_keyed_by(django_assert_max_num_queries):
    customer = CustomerFactory()
    mug, bag = ProductFactory(), ProductFactory()
    empty = selectors.shopper_activity(customer_id=customer.pk)
    assert (empty.history, empty.latest_event_id, empty.latest_purchase_id) == ([], 0, 0)
    bought = services.event_record(
        kind="purchase", customer=customer, product=mug, quantity=1, price=Decimal("2.50"), order_number="C1"
    )
    first = selectors.shopper_activity(customer_id=customer.pk)
    assert (first.latest_event_id, first.latest_purchase_id) == latest_ids(customer.pk) == (bought.pk, bought.pk)
    # a search and a removal from the cart key the lists too, but are no taste
    services.event_record(kind="view", customer=customer, product=bag)
    searched = services.event_record(kind="search", customer=customer, query="mug", result_count=3)
    services.event_record(kind="rec_impression", customer=customer, slot="home_for_you", model_version="v")
    with django_assert_max_num_queries(1):  # only what was written since, ids included
        second = selectors.shopper_activity(customer_id=customer.pk)
    assert (second.latest_event_id, second.latest_purchase_id) == latest_ids(customer.pk) == (searched.pk, bought.pk)
    assert products_of(second.history) == [("purchase", mug.pk), ("view", bag.pk)]
    with django_assert_max_num_queries(1):  # nothing new: the same answer from one empty read
        assert selectors.shopper_activity(customer_id=customer.pk) == second
    # a rewrite drops the cache; the whole read gives the same ids as the direct queries
    services.purchase_events_cancel(order_number="C1")
    third = selectors.shopper_activity(customer_id=customer.pk)
    assert (third.latest_event_id, third.latest_purchase_id) == latest_ids(customer.pk) == (searched.pk, 0)
    assert products_of(third.history) == [("view", bag.pk)]
