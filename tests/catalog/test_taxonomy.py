import gzip
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings

from catalog import taxonomy
from catalog.taxonomy import CATEGORY_NAMES, OTHER, assign_categories, match_rule


@pytest.mark.parametrize(
    "name, category",
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "Candles & Holders"),
        ("PAPER CHAIN KIT 50'S CHRISTMAS ", "Christmas"),
        ("JUMBO BAG RED RETROSPOT", "Bags & Purses"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "Kitchen & Baking"),
        ("SET OF 3 CAKE TINS PANTRY DESIGN ", "Kitchen & Baking"),
        ("ROSES REGENCY TEACUP AND SAUCER ", "Tableware & Mugs"),
        ("WRAP RED APPLES ", "Gift Wrap & Cards"),
        ("SPACEBOY LUNCH BOX ", "Kitchen & Baking"),
        ("DIAMANTE NECKLACE", "Jewellery & Accessories"),
        ("ALARM CLOCK BAKELIKE RED ", "Clocks"),
        ("PARTY BUNTING", "Party & Celebration"),
        ("EASTER TIN CHICKS IN GARDEN", "Easter & Spring"),
    ],
)
def test_keyword_rules_put_names_where_a_shopper_looks(name, category):
    assert match_rule(name) == category


def test_every_name_gets_exactly_one_known_category_and_the_result_is_deterministic():
    names = ["RED HEART CANDLE", "SPACE OWL", "ZZZ QQQ", "", "BLUE POLKADOT MUG", "RECIPE BOX PANTRY YELLOW DESIGN"]
    first = assign_categories(names)
    assert len(first) == len(names)
    assert set(first) <= set(CATEGORY_NAMES)
    assert assign_categories(names) == first
    assert first[2] == OTHER and first[3] == OTHER  # nothing to go on


def test_fallback_uses_the_nearest_category_by_words():
    names = ["SPACEBOY LUNCH BOX", "LUNCH BOX I LOVE LONDON", "SPACEBOY BIRTHDAY CARD", "DOLLY GIRL LUNCH TUB"]
    cats = assign_categories(names)
    assert match_rule("DOLLY GIRL LUNCH TUB") is None
    assert cats[3] == "Kitchen & Baking"  # shares "lunch" with the lunch boxes


@pytest.mark.slow
def test_on_the_real_names_categories_are_15_to_40_and_other_is_small():
    with gzip.open(settings.DATASET_PATH, "rt") as fh:
        df = pd.read_csv(fh, usecols=["StockCode", "Description"], dtype=str).dropna()
    names = df[df.StockCode.str.match(r"^\d{5}")].groupby("StockCode").Description.first().tolist()
    counts = Counter(assign_categories(names))
    assert 15 <= len(counts) <= 40
    assert counts[OTHER] < 0.10 * len(names)
    assert max(counts.values()) < 0.2 * len(names)  # no catch-all bucket


EXPECTED = Path(__file__).with_name("data") / "taxonomy_expected.csv.gz"


def _expected() -> pd.DataFrame:
    """stock_code, name, category of every product the import makes from the real data set, as the
    taxonomy assigned them when its rules were still Python tuples (before catalog/data/taxonomy.toml)."""
    return pd.read_csv(EXPECTED, dtype=str, keep_default_na=False)


def test_the_table_puts_every_real_product_in_the_category_it_had():
    expected = _expected()
    got = assign_categories(expected["name"].tolist())  # the import passes its names sorted by stock code
    changed = expected.assign(now=got).query("category != now")
    assert changed.empty, f"{len(changed)} products changed category:\n{changed.head(20).to_string()}"
    assert expected["category"].nunique() >= 15


def test_a_broken_table_is_refused_with_its_reason(tmp_path):
    bad = tmp_path / "taxonomy.toml"
    bad.write_text(
        'other = "Other"\nfallback_min_similarity = 0.1\nstop_words = []\n'
        '[[category]]\nname = "Mugs"\ndescription = "d"\nkeywords = []\n'
    )
    with pytest.raises(ValueError, match="without keywords: Mugs"):
        taxonomy._load(bad)
    bad.write_text(
        'other = "Other"\nfallback_min_similarity = 0.1\nstop_words = []\n'
        '[[category]]\nname = "Other"\ndescription = "d"\nkeywords = ["X"]\n'
    )
    with pytest.raises(ValueError, match="unique"):
        taxonomy._load(bad)


@pytest.mark.slow
def test_the_import_gives_every_product_the_category_it_had():
    from shop.importing import history_parse

    parsed = history_parse(settings.DATASET_PATH)
    got = pd.DataFrame([(p.stock_code, p.category) for p in parsed.products], columns=["stock_code", "category"])
    merged = _expected().merge(got, on="stock_code", how="outer", suffixes=("", "_now"), indicator=True)
    assert (merged["_merge"] == "both").all(), "the import makes other products than before"
    changed = merged[merged["category"] != merged["category_now"]]
    assert changed.empty, f"{len(changed)} products changed category:\n{changed.head(20).to_string()}"
