from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from catalog.models import Category, Product
from checkout.models import Coupon
from profiles.models import Customer, Segment


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    stock_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"WHITE HANGING HEART T-LIGHT HOLDER {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("2.55")
    stock = 50


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"shopper{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    country = "United Kingdom"


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = Coupon.Kind.PERCENTAGE
    value = Decimal("10.00")


def rfm_segment(code: str) -> Segment:
    """A segment whose rule is one RFM segment, as the coupon migration makes them."""
    segment, _ = Segment.objects.get_or_create(
        name=f"RFM {code}",
        defaults={"rule": {"match": "all", "conditions": [{"field": "segment", "op": "eq", "value": code}]}},
    )
    return segment
