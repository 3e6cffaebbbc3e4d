"""factory_boy factories for the catalog (used by other test packages too)."""

from decimal import Decimal

import factory
from django.utils.text import slugify

from catalog.models import Category, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    description = factory.LazyAttribute(lambda o: f"All about {o.name.lower()}")
    position = factory.Sequence(lambda n: n)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    stock_code = factory.Sequence(lambda n: f"{20000 + n}")
    name = factory.Sequence(lambda n: f"PRODUCT NUMBER {n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("2.50")
    stock = 20
    units_sold = 0
