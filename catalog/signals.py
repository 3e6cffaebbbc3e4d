"""What the catalog's pages announce. Other apps listen (profiles records them
as events) so the catalog never imports them. Sent synchronously from the
views, before the page is rendered: a receiver's writes are committed by the
time the next page reads them.

- `product_viewed`: sender=Product, request, product (the Product shown)
- `search_made`: sender=Product, request, query (as typed), result_count (int)
"""

from django.dispatch import Signal

product_viewed = Signal()
search_made = Signal()
