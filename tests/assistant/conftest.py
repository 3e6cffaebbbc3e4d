"""A small real-looking catalogue (names and categories as the import makes them)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant import engine
from tests.catalog.factories import CategoryFactory, ProductFactory

CATEGORIES = {
    "Candles & Holders": "candle, t-light, t light, tlight, tea light, tealight, lantern, holder",
    "Christmas": "christmas, xmas, santa, reindeer, snowflake, bauble",
    "Lighting": "light, lamp, lampshade, led, nightlight",
    "Tableware & Mugs": "mug, cup, saucer, plate, bowl, teapot, tea set, napkin",
    "Bags & Purses": "bag, purse, handbag, shopper, tote",
    "Party & Celebration": "party, balloon, bunting, banner, birthday",
}

PRODUCTS = [
    ("RED HEART CANDLE HOLDER", "Candles & Holders", "2.55", 40),
    ("RED GLASS CANDLE HOLDER", "Candles & Holders", "1.95", 12),
    ("RED WIRE STAR CANDLE HOLDER", "Candles & Holders", "4.95", 30),
    ("BLUE GLASS CANDLE HOLDER", "Candles & Holders", "1.65", 25),
    ("WHITE HANGING HEART T-LIGHT HOLDER", "Candles & Holders", "2.95", 500),
    ("PINK CANDLE HOLDER", "Candles & Holders", "0.85", 8),
    ("SET OF 20 CHRISTMAS FAIRY LIGHTS", "Christmas", "4.25", 60),
    ("CHRISTMAS LIGHTS 10 REINDEER", "Christmas", "8.50", 20),
    ("RED CHRISTMAS BAUBLE", "Christmas", "0.65", 300),
    ("SANTA CHRISTMAS STOCKING", "Christmas", "3.75", 15),
    ("CHILLI LIGHTS", "Lighting", "5.75", 100),
    ("BLUE SPOTTY MUG", "Tableware & Mugs", "1.25", 200),
    ("RED SPOTTY MUG", "Tableware & Mugs", "1.25", 200),
    ("ROSES REGENCY TEACUP AND SAUCER", "Tableware & Mugs", "2.95", 50),
    ("RED RETROSPOT SHOPPER BAG", "Bags & Purses", "2.10", 80),
    ("BLUE POLKADOT SHOPPER BAG", "Bags & Purses", "2.10", 5),
    ("PARTY BUNTING", "Party & Celebration", "4.95", 35),
    ("PACK OF 12 PARTY BALLOONS", "Party & Celebration", "0.85", 10),
]


@pytest.fixture(autouse=True)
def _fresh_caches():
    engine.caches_clear()
    yield
    engine.caches_clear()


@pytest.fixture
def catalogue(db):
    cats = {name: CategoryFactory(name=name, keywords=kw) for name, kw in CATEGORIES.items()}
    return {
        name: ProductFactory(name=name, category=cats[cat], price=Decimal(price), stock=stock)
        for name, cat, price, stock in PRODUCTS
    }
