from tests.recommend.serving.conftest import clean_serving, shop, trained_versions  # noqa: F401  (the trained shop)
