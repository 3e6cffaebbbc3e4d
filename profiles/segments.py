"""Segment rules: which portrait fields a rule may name, with which operators,
and how a valid rule becomes a Django `Q` over `Portrait` (never raw SQL).

A rule is JSON:

    {"match": "all",                       # "all" (AND) or "any" (OR)
     "conditions": [
        {"field": "segment", "op": "eq", "value": "at_risk"},
        {"field": "country", "op": "in", "value": ["Germany", "France"]},
        {"field": "churn_risk", "op": "gt", "value": 0.7}]}

`rule_parse` checks everything and returns the normalised rule, or raises
`SegmentRuleInvalid` with a message an operator can act on.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from .errors import SegmentRuleInvalid
from .models import Portrait

TEXT_OPS = {"eq", "ne", "in", "not_in"}
NUMBER_OPS = {"eq", "ne", "gt", "gte", "lt", "lte"}
BOOL_OPS = {"eq"}
# field -> (type, description shown in the admin)
FIELDS: dict[str, tuple[str, str]] = {
    "segment": ("choice", "RFM segment: " + ", ".join(Portrait.Segment.values)),
    "country": ("text", "country, as in the data set (e.g. Germany)"),
    "churn_risk": ("number", "probability of no purchase in the next 90 days, 0 to 1"),
    "is_bulk_buyer": ("bool", "buys in wholesale quantities"),
    "is_price_sensitive": ("bool", "buys cheap or under discount"),
    "seasonality": ("text", "e.g. christmas, autumn, even (docs/portraits.md)"),
    "price_band": ("text", "budget, mid or premium"),
    "cluster": ("int", "behaviour cluster number"),
    "cluster_name": ("text", "behaviour cluster name"),
    "recency_days": ("int", "days since the last purchase"),
    "frequency": ("int", "distinct orders"),
    "monetary": ("number", "net spend in GBP"),
    "clv_12m": ("number", "predicted spend of the next 12 months in GBP"),
    "christmas_share": ("number", "share of spend on Christmas products, 0 to 1"),
    "autumn_share": ("number", "share of spend in September to December, 0 to 1"),
    "tenure_days": ("int", "days since the first activity"),
    "has_purchases": ("bool", "bought at least once"),
}
OPS = {"choice": TEXT_OPS, "text": TEXT_OPS, "number": NUMBER_OPS, "int": NUMBER_OPS, "bool": BOOL_OPS}
MAX_CONDITIONS = 20


def _value(field: str, kind: str, op: str, value: Any) -> Any:
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise SegmentRuleInvalid(f"{field} {op} needs a non-empty list of values")
        return [_value(field, kind, "eq", v) for v in value]
    if kind in ("choice", "text"):
        if not isinstance(value, str) or not value.strip():
            raise SegmentRuleInvalid(f"{field} needs a text value, not {value!r}")
        value = value.strip()
        if kind == "choice" and value not in Portrait.Segment.values:
            raise SegmentRuleInvalid(
                f"{value!r} is not an RFM segment; choose one of {', '.join(Portrait.Segment.values)}"
            )
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise SegmentRuleInvalid(f"{field} needs true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SegmentRuleInvalid(f"{field} needs a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SegmentRuleInvalid(f"{field} needs a number, not {value!r}") from None
    if not number.is_finite():
        raise SegmentRuleInvalid(f"{field} needs a finite number, not {value!r}")
    if kind == "int":
        if number != number.to_integral_value():
            raise SegmentRuleInvalid(f"{field} needs a whole number, not {value!r}")
        return int(number)
    return float(number)


def rule_parse(rule: Any) -> dict:
    """The normalised rule, or SegmentRuleInvalid saying what is wrong."""
    if not isinstance(rule, dict):
        raise SegmentRuleInvalid('a rule is an object: {"match": "all", "conditions": [...]}')
    unknown = set(rule) - {"match", "conditions"}
    if unknown:
        raise SegmentRuleInvalid(f"unknown key(s) in the rule: {', '.join(sorted(unknown))}")
    match = rule.get("match", "all")
    if match not in ("all", "any"):
        raise SegmentRuleInvalid(f'match must be "all" or "any", not {match!r}')
    conditions = rule.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise SegmentRuleInvalid("a segment needs at least one condition")
    if len(conditions) > MAX_CONDITIONS:
        raise SegmentRuleInvalid(f"at most {MAX_CONDITIONS} conditions")
    out = []
    for i, cond in enumerate(conditions, start=1):
        if not isinstance(cond, dict) or set(cond) != {"field", "op", "value"}:
            raise SegmentRuleInvalid(f'condition {i} needs exactly "field", "op" and "value"')
        field, op = cond["field"], cond["op"]
        if field not in FIELDS:
            raise SegmentRuleInvalid(f"condition {i}: unknown field {field!r}; known: {', '.join(sorted(FIELDS))}")
        kind = FIELDS[field][0]
        if op not in OPS[kind]:
            raise SegmentRuleInvalid(
                f"condition {i}: operator {op!r} does not apply to {field}; use one of {', '.join(sorted(OPS[kind]))}"
            )
        out.append({"field": field, "op": op, "value": _value(field, kind, op, cond["value"])})
    return {"match": match, "conditions": out}


def rule_q(rule: dict, *, prefix: str = "") -> Q:
    """A parsed rule as a Q over Portrait (prefix "portrait__" to filter customers)."""
    parts = []
    for cond in rule["conditions"]:
        name, op, value = prefix + cond["field"], cond["op"], cond["value"]
        if op == "eq":
            q = Q(**{name: value})
        elif op == "ne":
            q = ~Q(**{name: value})
        elif op == "in":
            q = Q(**{f"{name}__in": value})
        elif op == "not_in":
            q = ~Q(**{f"{name}__in": value})
        else:
            q = Q(**{f"{name}__{op}": value})
        parts.append(q)
    combined = parts[0]
    for q in parts[1:]:
        combined = (combined & q) if rule["match"] == "all" else (combined | q)
    return combined


def rule_describe(rule: dict) -> str:
    """A rule in words: "segment is at_risk and country is Germany"."""
    words = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of", "gt": ">", "gte": "≥"}
    words |= {"lt": "<", "lte": "≤"}
    joiner = " and " if rule.get("match", "all") == "all" else " or "
    parts = []
    for c in rule.get("conditions", []):
        value = ", ".join(map(str, c["value"])) if isinstance(c["value"], list) else c["value"]
        parts.append(f"{c['field']} {words[c['op']]} {value}")
    return joiner.join(parts)
