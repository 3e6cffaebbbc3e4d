import pytest
from django.core.cache import cache

from tests.recommend.serving.conftest import clean_serving, shop, trained_versions  # noqa: F401  (the trained shop)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Assignments and the running list are cached: every test starts without them."""
    cache.clear()
    yield
    cache.clear()
