"""The catalog's REST API: products, read-only."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Category, Product


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]


class ProductSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    url = serializers.SerializerMethodField(help_text="The product's page in the shop")
    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "stock_code", "name", "price", "category", "url", "stock", "in_stock"]

    def get_url(self, product: Product) -> str:
        request = self.context.get("request")
        path = product.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Keyword search over product names")
    category = django_filters.NumberFilter(field_name="category_id", label="Category id")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte", label="Minimum price (GBP)")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte", label="Maximum price (GBP)")

    class Meta:
        model = Product
        fields = ["q", "category", "min_price", "max_price"]

    def search(self, queryset, name, value):
        return selectors.product_search(query=value, queryset=queryset)


@extend_schema_view(
    list=extend_schema(summary="List and search products", tags=["catalog"]),
    retrieve=extend_schema(summary="One product", tags=["catalog"]),
)
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.product_list()
