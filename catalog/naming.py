"""The one display form of a product name (pure, no Django).

The data set writes names in capitals ("WHITE HANGING HEART T-LIGHT HOLDER");
the catalog keeps them as recorded (search, the taxonomy and the recommenders'
text read them) and every page, message, e-mail and order line shows
`display_name`: title case as Django's `title` filter does it, small words
("of", "and", "with", ...) in lower case after the first word, and stray
spaces before punctuation removed ("PAPER CRAFT , LITTLE BIRDIE" reads "Paper
Craft, Little Birdie"; "SET OF 4 SANTA PLACE SETTINGS" reads "Set of 4 Santa
Place Settings")."""

from __future__ import annotations

import re
from collections.abc import Callable

_APOSTROPHE = re.compile(r"([a-z])'([A-Z])")
_AFTER_DIGIT = re.compile(r"\d([A-Z])")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_SPACES = re.compile(r"\s{2,}")
_SMALL_WORDS = re.compile(r"(?<=[ /])(Of|And|The|In|With|For|On|To|A|An|Or)(?= )")


def display_name(name: str) -> str:
    text = _SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", (name or "").strip()))
    text = _APOSTROPHE.sub(lambda m: m[0].lower(), text.title())
    text = _AFTER_DIGIT.sub(lambda m: m[0].lower(), text)
    return _SMALL_WORDS.sub(lambda m: m[0].lower(), text)


_PACK = re.compile(r"\b(?:SET|PACK|BOX|BAG|TUBE|TIN|ROLL|JAR|BUCKET)\s*(?:OF\s*|/\s*)(\d{1,4})\b", re.I)
_LEADING = re.compile(
    r"^(\d{1,4})\s+(?!(?:TIER|HOOK|WICK|DRAWER|LAYER|STRAND|SECTION|DOOR|CM|MM|INCH|LITRE|L)\b)\S", re.I
)
_PIECES = re.compile(r"\b(\d{1,4})\s*(?:PIECES?|PCS?)\b", re.I)


def pack_size(name: str) -> int | None:
    """Units in one pack when the name says so ("SET OF 4 ...", "SET/6 ...",
    "PACK OF 12 ...", "60 CAKE CASES", "16 PIECE CUTLERY SET"), else None.
    A leading number that measures the item ("3 TIER CAKE TIN", "5 HOOK
    HANGER", "3 WICK CANDLE") is not a pack size."""
    text = name or ""
    for pattern in (_PACK, _PIECES, _LEADING):
        match = pattern.search(text)
        if match and int(match.group(1)) > 1:
            return int(match.group(1))
    return None


def _untranslated(text: str) -> str:
    return text


def product_blurb(
    name: str, category: str, category_description: str = "", price=None, *, _: Callable[[str], str] = _untranslated
) -> str:
    """A short description from what the data has: the category and what it
    holds, and the pack size (with the price of one piece) when the name gives one.
    `_` translates the sentences (the model passes Django's gettext and the
    category's translated name and description; this module stays Django-free)."""
    if category_description and category_description.lower() != category.lower():
        what = f"{category_description[0].lower()}{category_description[1:].rstrip('.')}"
        text = _("Part of our %(category)s range: %(what)s.") % {"category": category, "what": what}
    else:
        text = _("Part of our %(category)s range.") % {"category": category}
    size = pack_size(name)
    if size and price:
        each = f"£{float(price) / size:.2f}"
        text += " " + _("Sold as a pack of %(size)s (%(each)s a piece).") % {"size": size, "each": each}
    elif size:
        text += " " + _("Sold as a pack of %(size)s.") % {"size": size}
    return text
