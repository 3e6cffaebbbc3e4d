import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalog.models import Category, Product
from profiles.models import Customer, Event

UTC = dt.UTC


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"shopper{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-123456")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    country = "United Kingdom"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    stock_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"TEST PRODUCT {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("2.50")
    stock = 100


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    kind = Event.Kind.VIEW
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    created_at = dt.datetime(2011, 6, 1, 12, 0, tzinfo=UTC)


def purchase(customer, product, *, quantity=1, price=None, order="O1", at=None):
    """A purchase event the way the import writes it (bulk, no portrait task)."""
    return Event.objects.create(
        kind=Event.Kind.PURCHASE,
        customer=customer,
        product=product,
        quantity=quantity,
        price=price if price is not None else product.price,
        order_number=order,
        created_at=at or dt.datetime(2011, 6, 1, 12, 0, tzinfo=UTC),
    )
