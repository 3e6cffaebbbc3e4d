"""Products and messages as the API and the widget show them."""

from __future__ import annotations

from catalog import selectors as catalog_selectors


def product_card(product) -> dict:
    return {
        "id": product.pk,
        "name": product.display_name,
        "price": str(product.price),
        "url": product.get_absolute_url(),
        "stock": product.stock,
        "in_stock": product.in_stock,
    }


def messages_for_widget(conversation, *, limit: int = 12) -> list[dict]:
    """The last messages of a conversation with their product cards, oldest first."""
    rows = list(conversation.messages.order_by("-created_at", "-id")[:limit])[::-1]
    ids = sorted({pid for m in rows for pid in m.product_ids})
    products = catalog_selectors.products_by_ids(product_ids=ids)
    return [
        {
            "role": m.role,
            "text": m.text,
            "sources": m.sources,
            "products": [product_card(products[pid]) for pid in m.product_ids if pid in products],
        }
        for m in rows
    ]
