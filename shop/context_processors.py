from django.conf import settings
from django.utils.functional import SimpleLazyObject

from catalog import selectors as catalog_selectors


def site(request):
    return {
        "DEMO_LOGIN_ENABLED": settings.DEMO_LOGIN_ENABLED,
        # evaluated only by templates that show the category bar
        "nav_categories": SimpleLazyObject(lambda: list(catalog_selectors.category_list())),
    }
