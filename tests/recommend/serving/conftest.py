"""A small shop with a clear taste structure and real trained models.

Four categories of eight products with real Online Retail names; 48 customers
(UK, France, Germany), each with one favourite category: they buy baskets of
two products of it and one of any other, and re-buy their favourite product.
The models (pop, pop_recent, repeat, itemknn, basket, tfidf) are trained once per test
session by the real pipeline into a session folder, inside a transaction
that is rolled back; every test then builds the same shop again (same stock
codes, so the artifacts fit) and marks those versions active.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.test import override_settings
from django.utils import timezone

SERVING_MODELS = ["pop", "pop_recent", "repeat", "itemknn", "basket", "tfidf"]

CATEGORIES = {
    "Candles & Holders": [
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "RED HANGING HEART T-LIGHT HOLDER",
        "ZINC METAL HEART T-LIGHT HOLDER",
        "GLASS STAR FROSTED T-LIGHT HOLDER",
        "ASSORTED COLOUR T-LIGHT HOLDER",
        "MOROCCAN TEA GLASS T-LIGHT HOLDER",
        "HEART OF WICKER SMALL CANDLE",
        "PINK BLOSSOM CANDLE HOLDER",
    ],
    "Bags & Purses": [
        "JUMBO BAG RED RETROSPOT",
        "JUMBO BAG PINK POLKADOT",
        "LUNCH BAG RED RETROSPOT",
        "LUNCH BAG BLACK SKULL",
        "JUMBO SHOPPER VINTAGE RED PAISLEY",
        "CHARLOTTE BAG SUKI DESIGN",
        "RED RETROSPOT CHARLOTTE BAG",
        "STRAWBERRY CHARLOTTE BAG",
    ],
    "Kitchen": [
        "REGENCY CAKESTAND 3 TIER",
        "SET OF 3 CAKE TINS PANTRY DESIGN",
        "JAM MAKING SET WITH JARS",
        "RECIPE BOX PANTRY YELLOW DESIGN",
        "SET OF 6 SPICE TINS PANTRY DESIGN",
        "PACK OF 72 RETROSPOT CAKE CASES",
        "ROSES REGENCY TEACUP AND SAUCER",
        "GREEN REGENCY TEACUP AND SAUCER",
    ],
    "Christmas": [
        "PAPER CHAIN KIT 50'S CHRISTMAS",
        "SET OF 20 VINTAGE CHRISTMAS NAPKINS",
        "CHRISTMAS LIGHTS 10 REINDEER",
        "WOODEN STAR CHRISTMAS SCANDINAVIAN",
        "ROTATING SILVER ANGELS T-LIGHT HLDR",
        "SET/6 RED SPOTTY PAPER CUPS",
        "CHRISTMAS CRAFT LITTLE FRIENDS",
        "ADVENT CALENDAR GINGHAM SACK",
    ],
}
OUT_OF_STOCK = "ZINC METAL HEART T-LIGHT HOLDER"  # bought a lot, but none left
COUNTRIES = ["United Kingdom", "United Kingdom", "France", "Germany"]


def build_shop(*, seed: int = 7) -> dict:
    """The shop above; purchases over the last 120 days before now."""
    from django.contrib.auth import get_user_model

    from catalog.models import Category, Product
    from profiles.models import Customer, Event

    rng = np.random.default_rng(seed)
    now = timezone.now()
    categories, products = {}, {}
    for pos, (name, names) in enumerate(CATEGORIES.items()):
        cat = Category.objects.create(name=name, position=pos)
        categories[name] = cat
        for i, pname in enumerate(names):
            products[pname] = Product.objects.create(
                stock_code=f"S{pos}{i:02d}",
                name=pname,
                category=cat,
                price=Decimal("1.25") + i,
                stock=0 if pname == OUT_OF_STOCK else 50,
                units_sold=100 - 10 * i + pos,
            )
    User = get_user_model()
    cat_names = list(CATEGORIES)
    customers = []
    events = []
    for c in range(48):
        taste = cat_names[c % 4]
        customer = Customer.objects.create(
            user=User.objects.create_user(username=f"shopper{c}", password="pw-serving-1"),
            external_id=30000 + c,
            country=COUNTRIES[(c // 4) % 4],
            is_imported=True,
        )
        customer.taste = taste
        customers.append(customer)
        mine = CATEGORIES[taste]
        favourite = mine[c % 3]
        n_baskets = 1 if c in (0, 1, 2, 3) else 6  # the first four order once: they never re-buy
        for b in range(n_baskets):
            when = now - dt.timedelta(days=int(115 - b * 18 - rng.integers(0, 5)), hours=int(rng.integers(0, 8)))
            other = str(rng.choice(cat_names))
            picks = {favourite, mine[int(rng.integers(3, 8))], CATEGORIES[other][int(rng.integers(0, 8))]}
            for pname in picks:
                p = products[pname]
                events.append(
                    Event(
                        kind="purchase",
                        customer=customer,
                        product=p,
                        quantity=int(rng.integers(1, 7)),
                        price=p.price,
                        order_number=f"O{customer.external_id}-{b}",
                        created_at=when,
                    )
                )
    Event.objects.bulk_create(events)
    return {"categories": categories, "products": products, "customers": customers, "now": now}


class _Rollback(Exception):
    pass


@pytest.fixture(scope="session")
def trained_versions(django_db_setup, django_db_blocker, tmp_path_factory):
    """Train SERVING_MODELS once on the shop; the rows (as dicts) and their artifacts folder."""
    from django.db import transaction

    from recommend import services
    from recommend.models import ModelVersion

    root = tmp_path_factory.mktemp("serving-artifacts")
    rows = []
    with django_db_blocker.unblock(), override_settings(ARTIFACTS_DIR=root):
        try:
            with transaction.atomic():
                build_shop()
                versions = services.model_version_train(models=SERVING_MODELS, force=True)
                for v in versions:
                    assert v.status == ModelVersion.Status.ACTIVE, (v.name, v.error)
                    rows.append(
                        {
                            f.attname: getattr(v, f.attname)
                            for f in ModelVersion._meta.concrete_fields
                            if f.attname != "id"
                        }
                    )
                raise _Rollback
        except _Rollback:
            pass
    return root, rows


@pytest.fixture
def clean_serving():
    """Empty caches: loaded models, index maps, causes already logged, the cache."""
    from django.core.cache import cache

    from recommend import serving
    from recommend.selectors import active_model_cache_clear
    from recommend.templatetags.recommendations import slot_html_cache_clear

    def reset():
        active_model_cache_clear()
        slot_html_cache_clear()
        serving.broken_models_reset()
        serving.log_once_reset()
        try:
            cache.clear()
        except Exception:  # noqa: BLE001 - a test may have pointed the cache at a closed port
            pass

    reset()
    yield reset
    reset()


@pytest.fixture
def shop(db, settings, trained_versions, clean_serving):
    """The shop with its trained models active."""
    from recommend.models import ModelVersion

    root, rows = trained_versions
    settings.ARTIFACTS_DIR = root
    data = build_shop()
    for row in rows:
        ModelVersion.objects.create(**row)
    data["artifacts"] = root
    data["versions"] = {r["name"]: r["version"] for r in rows}
    return data


@pytest.fixture
def bare_shop(db, clean_serving):
    """The same shop with no model at all."""
    return build_shop()
