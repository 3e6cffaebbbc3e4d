"""The display name, pack size and short description drawn from product names."""

from datetime import date

import pytest

from catalog.naming import display_name, pack_size, product_blurb
from checkout.shipping import delivery_window


@pytest.mark.parametrize(
    "name, shown",
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "White Hanging Heart T-Light Holder"),
        ("PAPER CRAFT , LITTLE BIRDIE", "Paper Craft, Little Birdie"),
        ("SET OF 4 SANTA PLACE SETTINGS", "Set of 4 Santa Place Settings"),
        ("JUMBO BAG PINK WITH WHITE SPOTS", "Jumbo Bag Pink with White Spots"),
        ("CHILDREN'S APRON DOLLY GIRL", "Children's Apron Dolly Girl"),
        ("A LITTLE BIRD TOLD ME", "A Little Bird Told Me"),
    ],
)
def test_display_name(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize(
    "name, size",
    [
        ("SET OF 4 NAPKIN CHARMS 3 KEYS", 4),
        ("SET/6 EAU DE NIL BIRD T-LIGHTS", 6),
        ("PACK OF 12 PINK PAISLEY TISSUES", 12),
        ("60 CAKE CASES VINTAGE CHRISTMAS", 60),
        ("16 PIECE CUTLERY SET PANTRY DESIGN", 16),
        ("3 TIER CAKE TIN RED AND CREAM", None),
        ("5 HOOK HANGER MAGIC TOADSTOOL", None),
        ("3 WICK CHRISTMAS BRIAR CANDLE", None),
        ("WHITE HANGING HEART T-LIGHT HOLDER", None),
    ],
)
def test_pack_size_only_when_the_name_says_so(name, size):
    assert pack_size(name) == size


def test_blurb_names_the_range_and_the_price_of_a_piece():
    text = product_blurb("SET/6 RED SPOTTY PAPER CUPS", "Party & Celebration", "Party goods and tableware", 0.65)
    assert text == (
        "Part of our Party & Celebration range: party goods and tableware. Sold as a pack of 6 (£0.11 a piece)."
    )
    assert "pack" not in product_blurb("RED HEART CANDLE", "Candles & Holders", "", 1.25)


def test_delivery_counts_working_days():
    thursday = date(2026, 12, 3)
    assert delivery_window("standard", today=thursday) == (date(2026, 12, 8), date(2026, 12, 10))
    assert delivery_window("express", today=thursday) == (date(2026, 12, 4), date(2026, 12, 4))
    assert delivery_window("express", today=date(2026, 12, 4)) == (date(2026, 12, 7), date(2026, 12, 7))
