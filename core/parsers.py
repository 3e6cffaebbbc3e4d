"""The API's JSON parser: DRF's, refusing what would break a view or the database.

`SafeJSONParser` (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]) answers 400 with a
clear message, before any view runs, to a body that holds a control character
or a lone surrogate in any key or string (`"\\u0000"` inside an event's
`data` was a `DataError` 500 from PostgreSQL).
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .text import forbidden_character


def _strings(value):
    """Every key and string in a parsed JSON value (iterative: no recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield key
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def check_strings(value) -> None:
    """ParseError naming the first control character in a key or string of `value`."""
    for text in _strings(value):
        found = forbidden_character(text)
        if found:
            raise ParseError(f"JSON parse error - control character {found} in a string: not accepted.")


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        try:
            value = json.loads(text, parse_constant=self._refuse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_strings(value)
        return value

    @staticmethod
    def _refuse_constant(name: str):
        raise ValueError(f"{name} is not a JSON number")
