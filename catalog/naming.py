"""The one display form of a product name (pure, no Django).

The data set writes names in capitals ("WHITE HANGING HEART T-LIGHT HOLDER");
the catalog keeps them as recorded (search, the taxonomy and the recommenders'
text read them) and every page, message, e-mail and order line shows
`display_name`: title case as Django's `title` filter does it, with stray
spaces before punctuation removed ("PAPER CRAFT , LITTLE BIRDIE" reads "Paper
Craft, Little Birdie")."""

from __future__ import annotations

import re

_APOSTROPHE = re.compile(r"([a-z])'([A-Z])")
_AFTER_DIGIT = re.compile(r"\d([A-Z])")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_SPACES = re.compile(r"\s{2,}")


def display_name(name: str) -> str:
    text = _SPACES.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", (name or "").strip()))
    text = _APOSTROPHE.sub(lambda m: m[0].lower(), text.title())
    return _AFTER_DIGIT.sub(lambda m: m[0].lower(), text)
