from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify

from .category_names import category_description, category_name
from .naming import display_name, pack_size, product_blurb


class Category(models.Model):
    """A node of the taxonomy derived from product names (the data set has none)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=90, unique=True)
    description = models.CharField(max_length=255, blank=True)
    # keywords that define the category, shown to operators (how it was derived)
    keywords = models.CharField(max_length=255, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:90]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", args=[self.pk])

    @property
    def display_name(self) -> str:
        """The name in the interface language (catalog/category_names.py)."""
        return category_name(self.name)

    @property
    def display_description(self) -> str:
        return category_description(self.description)


LOW_STOCK = 10  # fewer units than this read "only N left"


def product_url(pk: int, slug: str) -> str:
    """A product page's address (with its slug when it has one)."""
    if slug:
        return reverse("catalog:product_slug", args=[pk, slug])
    return reverse("catalog:product", args=[pk])


class Product(models.Model):
    stock_code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    stock = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # how many units were sold in the imported history and since: for sorting
    # by popularity without a join on every category page
    units_sold = models.PositiveIntegerField(default=0, db_index=True)
    first_sold_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["category", "price"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.stock_code})"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:255]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return product_url(self.pk, self.slug)

    @property
    def display_name(self) -> str:
        """The name as every page, message, e-mail and order line shows it."""
        return display_name(self.name)

    @property
    def pack_size(self) -> int | None:
        """Units per pack when the name says so (catalog/naming.py)."""
        return pack_size(self.name)

    @property
    def blurb(self) -> str:
        """A short description drawn from the name and the category."""
        category = self.category
        return product_blurb(
            self.name, category.display_name, category.display_description, self.price, _=translation.gettext
        )

    @property
    def is_low_stock(self) -> bool:
        return self.in_stock and self.stock < LOW_STOCK

    @property
    def monthly_sales(self) -> int | None:
        """Net units sold per month since the first sale (None before one)."""
        if not self.first_sold_at or not self.units_sold:
            return None
        from django.utils import timezone

        months = max((timezone.now() - self.first_sold_at).days / 30.4, 1.0)
        return round(self.units_sold / months)

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.stock > 0


class SearchQueryStat(models.Model):
    """What shoppers search for, normalised (lower-cased words): how often, and
    how many results the latest search found. Feeds autocomplete ("popular
    queries") and shows operators the queries that find nothing."""

    query = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    last_result_count = models.PositiveIntegerField(default=0)
    last_searched_at = models.DateTimeField()

    class Meta:
        ordering = ["-count", "query"]

    def __str__(self) -> str:
        return f"{self.query} ({self.count})"
