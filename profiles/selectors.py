"""Reads of the profiles app."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Customer

# =============================================================================
# Storefront foundation (owned by that work): the "shop as a real customer" list
# =============================================================================


def customers_for_demo(*, query: str = "", limit: int = 60) -> QuerySet[Customer]:
    """Imported customers with their country and order count, most orders
    first; `query` matches the customer number or the country."""
    qs = Customer.objects.filter(is_imported=True).select_related("user").annotate(order_count=Count("orders"))
    query = (query or "").strip()[:64]
    if query:
        condition = Q(country__icontains=query)
        if query.isdigit():
            condition |= Q(external_id=int(query))
        qs = qs.filter(condition)
    return qs.order_by("-order_count", "external_id")[:limit]


def customer_get_imported(*, customer_id: int) -> Customer:
    return Customer.objects.select_related("user").get(pk=customer_id, is_imported=True)


# =============================================================================
# Customers, events, portraits
# =============================================================================
