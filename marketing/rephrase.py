"""Campaign copy: the operator's message, rephrased for the segment by the
configured language model (core/llm.py, the assistant's OpenAI-compatible
backend) or, on any doubt, the operator's text as written (fail closed).

One call per campaign and segment (cached), never per customer. The model's
text is checked before use: non-empty and between half and twice the
template's length (at most MAX_CHARS); no digits (prices, percentages, dates,
codes), no URL, e-mail address or all-capital word (a coupon code, a product
name as the catalogue spells it) that the operator's text does not have; no
product name from the database that the operator's text does not name. A
timeout, an error or a failed check gives the template text and one log line.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

from catalog import selectors as catalog_selectors
from core.llm import LLMConfig, LLMError, chat, unresolved

if TYPE_CHECKING:
    from .models import Campaign

log = logging.getLogger(__name__)
MAX_CHARS = 1200
CACHE_SECONDS = 24 * 3600
FAILURE_CACHE_SECONDS = 300  # a backend that is down is asked again after five minutes, not per mail
SYSTEM = (
    "You rewrite the marketing message of a UK gift shop for one group of its customers. "
    "Keep the meaning and the tone friendly; at most as long again as the original. "
    "Never add a price, a number, a discount, a coupon code, a link, an e-mail address or a product name: "
    "the e-mail adds those itself. Answer with the rewritten message only."
)

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|co\.uk|uk|net|org|shop|io|example)\b|\S+@\S+", re.I)
CAPS = re.compile(r"\b[A-Z][A-Z0-9-]{2,}\b")


@dataclass(frozen=True)
class Copy:
    text: str
    source: str  # "model" or "template"
    reason: str  # why this text (shown in the admin preview)


def config() -> LLMConfig:
    return LLMConfig(
        base_url=getattr(settings, "LLM_BASE_URL", ""),
        model=getattr(settings, "LLM_MODEL", ""),
        api_key=getattr(settings, "LLM_API_KEY", ""),
        timeout=float(getattr(settings, "LLM_TIMEOUT", 8.0)),
    )


def copy_problems(*, candidate: str, original: str) -> list[str]:
    """What is wrong with a generated rephrasing of `original` (empty: usable)."""
    text = candidate.strip()
    if not text:
        return ["empty answer"]
    problems = []
    if len(text) > MAX_CHARS or len(text) > 2 * max(len(original), 40):
        problems.append(f"too long ({len(text)} characters for {len(original)})")
    if len(text) < len(original) / 2:
        problems.append(f"too short ({len(text)} characters for {len(original)})")
    for name, pattern in (("number", NUMBER), ("link or address", URL)):
        allowed = {m.lower() for m in pattern.findall(original)}
        for ref in unresolved(pattern.findall(text), resolves=lambda r, a=allowed: r.lower() in a):
            problems.append(f"{name} {ref!r} not in the operator's text")
    original_upper = original.upper()
    for ref in unresolved(CAPS.findall(text), resolves=lambda r: r in original_upper):
        problems.append(f"capitalised word {ref!r} (a code or product?) not in the operator's text")
    for ref in unresolved(catalog_selectors.product_names_in(text=text), resolves=lambda r: r in original_upper):
        problems.append(f"product name {ref!r} not in the operator's text")
    return problems


def _cache_key(campaign: Campaign, cfg: LLMConfig) -> str:
    digest = hashlib.sha256(
        "|".join([campaign.email_message.strip(), campaign.segment.name, cfg.base_url, cfg.model]).encode()
    ).hexdigest()[:16]
    return f"mkt:1:copy:{campaign.pk}:{campaign.segment_id}:{digest}"


def campaign_copy(*, campaign: Campaign) -> Copy:
    """The message every member of the campaign's segment gets, and why."""
    template = campaign.email_message.strip()
    cfg = config()
    if not cfg.enabled:
        return Copy(template, "template", "no language model is configured (LLM_BASE_URL is empty)")
    if not template:
        return Copy(template, "template", "no message to rephrase")
    key = _cache_key(campaign, cfg)
    cached = cache.get(key)
    if cached is not None:
        return Copy(**cached)
    segment = campaign.segment
    messages = [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Customers: {segment.name}"
            + (f" ({segment.description})" if segment.description else "")
            + f"\nMessage:\n{template}",
        },
    ]
    try:
        candidate = chat(cfg, messages).content.strip()
    except LLMError as exc:
        copy = Copy(template, "template", f"the language model failed ({exc}): the operator's text is used")
    else:
        problems = copy_problems(candidate=candidate, original=template)
        if problems:
            copy = Copy(template, "template", "the model's text was refused: " + "; ".join(problems))
        else:
            copy = Copy(candidate, "model", f"rephrased for segment {segment.name!r} by {cfg.model or 'the model'}")
    if copy.source == "template":
        log.warning("campaign %s, segment %s: %s", campaign.pk, segment.pk, copy.reason)
    cache.set(key, asdict(copy), CACHE_SECONDS if copy.source == "model" else FAILURE_CACHE_SECONDS)
    return copy
