"""From impression to order: what was shown, what was clicked, what was bought.

- Impressions: one `rec_impression` event per slot render (slot, model version,
  the products with their positions in `data`).
- Clicks: every recommended product links to `/r/<token>/`, a signed token
  with product, slot, position, model and version; the view records a
  `rec_click` event and redirects to the product. It works without JavaScript
  and a forged or altered token is refused.
- Attribution: an add-to-cart or a purchase of the clicked product by the same
  shopper within RECOMMEND_CLICK_ATTRIBUTION_DAYS (7) after the click belongs
  to the latest such click (last touch). An anonymous session's clicks become
  the customer's at login (profiles attaches the session's events), so an
  order placed after logging in is attributed too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from profiles import selectors as profiles_selectors
from profiles import services as profiles_services
from profiles.selectors import Shopper

from .rules import setting

SALT = "recommend.click"


_signer = signing.Signer(salt=SALT)


def click_token(*, product_id: int, slot: str, position: int, model: str, version: str) -> str:
    """A signed "product.position.slot.model.version" (an HMAC, no JSON nor
    compression: a page signs two dozen of these)."""
    for name, value in (("slot", slot), ("model", model)):
        if "." in value or ":" in value:
            raise ValueError(f"a recommendation {name} has no '.' or ':' ({value!r})")
    return _signer.sign(f"{int(product_id)}.{int(position)}.{slot}.{model}.{version}")


def click_url(**kwargs: Any) -> str:
    return click_path(click_token(**kwargs))


def click_path(token: str) -> str:
    """/r/<token>/ without a reverse() per link (the prefix is resolved once)."""
    global _click_prefix
    if _click_prefix is None:
        _click_prefix = reverse("recommend:click", args=["TOKEN"]).rsplit("TOKEN", 1)[0]
    return f"{_click_prefix}{token}/"


_click_prefix: str | None = None


def click_read(token: str) -> dict[str, Any]:
    """The click a token describes; signing.BadSignature (a ValueError) when
    forged. Tokens of the earlier JSON form (links already sent) still read."""
    if token.count(":") == 1:
        parts = _signer.unsign(token).split(".", 4)
        if len(parts) != 5 or not parts[0].isdigit() or not parts[1].isdigit():
            raise signing.BadSignature("not a recommendation link")
        product, position, slot, model, version = parts
        return {
            "product_id": int(product),
            "slot": slot[:40],
            "position": int(position),
            "model": model,
            "version": version,
        }
    data = signing.loads(token, salt=SALT)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise signing.BadSignature("not a recommendation link")
    return {
        "product_id": data["p"],
        "slot": str(data.get("s", ""))[:40],
        "position": int(data.get("i", 0)),
        "model": str(data.get("m", "")),
        "version": str(data.get("v", "")),
    }


def click_record(*, shopper: Shopper, click: dict[str, Any]) -> None:
    profiles_services.event_record(
        kind="rec_click",
        product=click["product_id"],
        slot=click["slot"] or "unknown",
        model_version=click["version"] or "unknown",
        data={"model": click["model"], "position": click["position"]},
        **shopper.event_owner(),
    )


def impressions_record(*, shopper: Shopper, served: list, page: str) -> int:
    """One rec_impression event per slot shown (positions in `data`), written in one
    statement. Returns how many."""
    owner = shopper.event_owner()
    if not owner.get("customer") and not owner.get("session_key"):
        return 0
    events = [
        {
            "kind": "rec_impression",
            "slot": s.slot,
            "model_version": s.model_version or "unknown",
            "data": {
                "model": s.model,
                "page": page,
                "products": [i.product.pk for i in s.items],
                "positions": [i.position for i in s.items],
            },
            **owner,
        }
        for s in served
        if s.items
    ]
    return len(profiles_services.events_record_many(events=events))


@dataclass
class Row:
    slot: str
    model: str
    version: str
    impressions: int = 0
    items_shown: int = 0
    clicks: int = 0
    add_to_carts: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")

    @property
    def ctr(self) -> float:
        """Clicks per product shown."""
        return self.clicks / self.items_shown if self.items_shown else 0.0

    @property
    def ctr_percent(self) -> float:
        return 100 * self.ctr


def attribution_report(*, days: int = 30, now: dt.datetime | None = None) -> list[Row]:
    """Impressions, clicks, CTR, attributed add-to-carts, orders and revenue by
    slot, model and version over the last `days` days."""
    now = now or timezone.now()
    window = dt.timedelta(days=int(setting("RECOMMEND_CLICK_ATTRIBUTION_DAYS", 7)))
    events = profiles_selectors.recommendation_events(since=now - dt.timedelta(days=days))
    rows: dict[tuple[str, str, str], Row] = {}

    def row(slot: str, model: str, version: str) -> Row:
        key = (slot, model, version)
        if key not in rows:
            rows[key] = Row(slot=slot, model=model, version=version)
        return rows[key]

    # the latest click per (shopper, product); a customer's owner key is the customer
    last_click: dict[tuple[str, int], dict[str, Any]] = {}
    orders_counted: set[tuple[tuple[str, str, str], str]] = set()
    for e in events:
        owner = f"c{e['customer_id']}" if e["customer_id"] else f"s{e['session_key']}"
        data = e["data"] or {}
        if e["kind"] == "rec_impression":
            r = row(e["slot"], str(data.get("model", "")), e["model_version"])
            r.impressions += 1
            r.items_shown += len(data.get("products") or [])
        elif e["kind"] == "rec_click":
            r = row(e["slot"], str(data.get("model", "")), e["model_version"])
            r.clicks += 1
            last_click[(owner, e["product_id"])] = e
            if e["customer_id"] and e["session_key"]:  # clicked anonymously, attached at login
                last_click[(f"s{e['session_key']}", e["product_id"])] = e
        else:
            click = last_click.get((owner, e["product_id"]))
            if click is None or not (click["created_at"] <= e["created_at"] <= click["created_at"] + window):
                continue
            key = (click["slot"], str((click["data"] or {}).get("model", "")), click["model_version"])
            r = row(*key)
            if e["kind"] == "add_to_cart":
                r.add_to_carts += 1
            else:
                r.revenue += (e["price"] or Decimal("0")) * (e["quantity"] or 1)
                if (key, e["order_number"]) not in orders_counted:
                    orders_counted.add((key, e["order_number"]))
                    r.orders += 1
    return sorted(rows.values(), key=lambda r: (r.slot, r.model, r.version))


def report_by(rows: list[Row], field: str) -> list[dict[str, Any]]:
    """Totals of the report grouped by 'slot' or 'version' (model:version)."""
    groups: dict[str, Row] = defaultdict(lambda: Row(slot="", model="", version=""))
    for r in rows:
        label = r.slot if field == "slot" else f"{r.model} {r.version}"
        g = groups[label]
        g.impressions += r.impressions
        g.items_shown += r.items_shown
        g.clicks += r.clicks
        g.add_to_carts += r.add_to_carts
        g.orders += r.orders
        g.revenue += r.revenue
    return [{"label": k, "row": v} for k, v in sorted(groups.items())]
