from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Category, Product, SearchQueryStat


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "product_count", "keywords"]
    list_editable = ["position"]
    search_fields = ["name", "keywords", "description"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["position", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_product_count=Count("products"))

    @admin.display(description=_("products"), ordering="_product_count")
    def product_count(self, obj):
        return obj._product_count


class InStockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock_state"

    def lookups(self, request, model_admin):
        return [("in", "In stock"), ("out", "Out of stock"), ("low", "Low (under 10)")]

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(stock__gt=0)
        if self.value() == "out":
            return queryset.filter(stock=0)
        if self.value() == "low":
            return queryset.filter(stock__gt=0, stock__lt=10)
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["stock_code", "name", "category", "price", "stock", "units_sold", "is_active"]
    list_display_links = ["stock_code", "name"]
    list_filter = ["is_active", InStockFilter, "category"]
    list_editable = ["price", "stock", "is_active"]
    list_select_related = ["category"]
    search_fields = ["stock_code", "name"]
    autocomplete_fields = ["category"]
    readonly_fields = ["units_sold", "first_sold_at", "created_at", "updated_at"]
    ordering = ["name"]
    list_per_page = 50


class FoundNothingFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return [("no", "Found nothing"), ("yes", "Found something")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(last_result_count=0)
        if self.value() == "yes":
            return queryset.filter(last_result_count__gt=0)
        return queryset


@admin.register(SearchQueryStat)
class SearchQueryStatAdmin(admin.ModelAdmin):
    """What shoppers search for; filter on 'found nothing' to see the queries the catalog fails."""

    list_display = ["query", "count", "last_result_count", "last_searched_at"]
    search_fields = ["query"]
    ordering = ["-count", "query"]
    list_filter = [FoundNothingFilter]
    readonly_fields = ["query", "count", "last_result_count", "last_searched_at"]

    def has_add_permission(self, request):
        return False
