"""What the shop accepts as text at its edges.

Control characters (C0 and C1, DEL) other than tab, newline and carriage
return have no business in a search, a coupon code, a name or an event's
data: PostgreSQL refuses NUL in text and JSON (`ValueError: A string literal
cannot contain NUL`, `DataError: unsupported Unicode escape sequence`), and
the others only hide text from a reader. A lone UTF-16 surrogate (`"\\ud800"`
in JSON) cannot even be encoded to UTF-8 for the database. The middleware
(`core.middleware`) and the API's JSON parser (`core.parsers`) refuse both
before any view runs.
"""

from __future__ import annotations

import re

# C0 except \t \n \r, DEL and C1; lone surrogates
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first forbidden character of `text`, written as U+XXXX, or None."""
    match = FORBIDDEN.search(text)
    return None if match is None else f"U+{ord(match.group()):04X}"
