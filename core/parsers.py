"""The API's JSON parser: DRF's, refusing what would break a view or the database.

`SafeJSONParser` (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]) answers 400 with a
clear message, before any view runs, to a body that holds a control character
or a lone surrogate in any key or string (`"\\u0000"` inside an event's
`data` was a `DataError` 500 from PostgreSQL), or that is larger than
`JSON_MAX_BYTES` or nested deeper than `JSON_MAX_DEPTH` (5,000 levels was a
`RecursionError` 500 on every JSON endpoint). `json_loads_limited` gives a
plain view (the segment preview of the admin) the same checks.
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .text import forbidden_character

MAX_BYTES = 1_000_000  # settings.JSON_MAX_BYTES overrides
MAX_DEPTH = 32  # settings.JSON_MAX_DEPTH overrides; our deepest document (a segment rule) is under 10

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONTooLarge(ValueError):
    pass


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when `text` nests arrays and objects deeper than `limit` (strings
    skipped; a scan, never a recursion)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def limits() -> tuple[int, int]:
    return int(getattr(settings, "JSON_MAX_BYTES", MAX_BYTES)), int(getattr(settings, "JSON_MAX_DEPTH", MAX_DEPTH))


def json_loads_limited(text: str | bytes):
    """`json.loads` with the API parser's size, depth and character limits;
    ValueError (JSONTooLarge for size or depth) with a clear message otherwise."""
    max_bytes, max_depth = limits()
    if len(text) > max_bytes:
        raise JSONTooLarge(f"the body is larger than {max_bytes:,} bytes")
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if json_depth_exceeds(text, max_depth):
        raise JSONTooLarge(f"nested deeper than {max_depth} levels")
    value = json.loads(text, parse_constant=_refuse_constant)
    for string in _strings(value):
        found = forbidden_character(string)
        if found:
            raise ValueError(f"control character {found} in a string: not accepted")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


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
        max_bytes, max_depth = limits()
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            raise ParseError(f"JSON parse error - the body is larger than {max_bytes:,} bytes.")
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        if json_depth_exceeds(text, max_depth):
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        try:
            value = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_strings(value)
        return value
