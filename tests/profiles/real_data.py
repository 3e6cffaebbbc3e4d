"""The real Online Retail history loaded straight from data/online_retail.csv.gz
(customers, products under a small keyword taxonomy, one purchase event per
purchase line), for spot checks and the portrait benchmark. Independent of the
shop's own importer so the checks compare against the raw file."""

from __future__ import annotations

import functools
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model

KEYWORDS = [
    ("Christmas", "CHRISTMAS|XMAS|ADVENT|SANTA|REINDEER"),
    ("Bags", r"\bBAGS?\b"),
    ("Candles and lights", "CANDLE|T-LIGHT|LIGHT|LANTERN"),
    ("Cards and wrap", r"\bCARDS?\b|WRAP|PAPER"),
    ("Kitchen", "MUG|CUP|PLATE|BOWL|KITCHEN|CAKE|TEA|JAR|BAKING|LUNCH BOX"),
    ("Hearts and decorations", "HEART|HANGING|DECORATION|BUNTING|GARLAND"),
    ("Toys and games", "TOY|GAME|DOLL|SPACEBOY|CHILDRENS|PLAYHOUSE"),
]
OTHER = "Other"


@functools.lru_cache(maxsize=1)
def purchase_lines() -> pd.DataFrame:
    """Purchase lines of known customers: not cancellations, quantity and price > 0."""
    df = pd.read_csv(settings.DATASET_PATH, dtype={"InvoiceNo": str, "StockCode": str, "Description": str})
    df = df[
        df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C") & (df["Quantity"] > 0) & (df["UnitPrice"] > 0)
    ].copy()
    df["CustomerID"] = df["CustomerID"].astype(int)
    df["Description"] = df["Description"].fillna("").str.strip()
    names = df.groupby("StockCode")["Description"].agg(lambda s: s.value_counts().index[0])
    df["name"] = df["StockCode"].map(names)
    category = pd.Series(OTHER, index=names.index)
    for label, pattern in reversed(KEYWORDS):
        category[names.str.contains(pattern, regex=True)] = label
    df["category"] = df["StockCode"].map(category)
    df["at"] = (
        pd.to_datetime(df["InvoiceDate"])
        .dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="shift_forward")
        .dt.tz_convert("UTC")
    )
    df["value"] = df["Quantity"] * df["UnitPrice"]
    return df


@functools.lru_cache(maxsize=1)
def all_customers() -> pd.DataFrame:
    df = pd.read_csv(settings.DATASET_PATH, usecols=["CustomerID", "Country"]).dropna()
    return df.groupby(df["CustomerID"].astype(int))["Country"].first().reset_index()


def load(*, customer_ids: list[int] | None = None, batch_size: int = 5000) -> dict:
    """Bulk-create the history (all customers unless `customer_ids`)."""
    from catalog.models import Category, Product
    from profiles.models import Customer, Event

    lines = purchase_lines()
    customers = all_customers()
    if customer_ids is not None:
        lines = lines[lines["CustomerID"].isin(customer_ids)]
        customers = customers[customers["CustomerID"].isin(customer_ids)]
    cats = {}
    for pos, label in enumerate([k for k, _ in KEYWORDS] + [OTHER]):
        cats[label], _ = Category.objects.get_or_create(name=label, defaults={"position": pos})
    list_price = lines.groupby("StockCode")["UnitPrice"].agg(lambda s: s.value_counts().index[0])
    first = lines.drop_duplicates("StockCode").set_index("StockCode")
    existing = set(Product.objects.values_list("stock_code", flat=True))
    Product.objects.bulk_create(
        [
            Product(
                stock_code=code,
                name=first.at[code, "name"][:255] or code,
                category=cats[first.at[code, "category"]],
                price=Decimal(str(round(float(list_price[code]), 2))) or Decimal("0.01"),
                stock=100,
            )
            for code in first.index
            if code not in existing and round(float(list_price[code]), 2) > 0
        ],
        batch_size=batch_size,
    )
    products = dict(Product.objects.values_list("stock_code", "id"))
    users = get_user_model().objects
    users.bulk_create(
        [
            get_user_model()(username=f"customer{c}")
            for c in customers["CustomerID"]
            if not users.filter(username=f"customer{c}").exists()
        ],
        batch_size=batch_size,
    )
    user_ids = dict(users.filter(username__startswith="customer").values_list("username", "id"))
    Customer.objects.bulk_create(
        [
            Customer(user_id=user_ids[f"customer{c}"], external_id=c, country=country, is_imported=True)
            for c, country in zip(customers["CustomerID"], customers["Country"])
        ],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
    cust = dict(Customer.objects.filter(external_id__isnull=False).values_list("external_id", "id"))
    lines = lines[lines["StockCode"].isin(products.keys())]
    events = [
        Event(
            kind="purchase",
            customer_id=cust[c],
            product_id=products[code],
            quantity=int(q),
            price=Decimal(str(p)).quantize(Decimal("0.01")),
            order_number=inv,
            created_at=at.to_pydatetime(),
        )
        for c, code, q, p, inv, at in zip(
            lines["CustomerID"],
            lines["StockCode"],
            lines["Quantity"],
            lines["UnitPrice"],
            lines["InvoiceNo"],
            lines["at"],
        )
    ]
    Event.objects.bulk_create(events, batch_size=batch_size)
    return {"customers": len(customers), "events": len(events), "products": len(products)}


def expected(customer_id: int) -> dict:
    """What the raw file says about one customer."""
    lines = purchase_lines()
    mine = lines[lines["CustomerID"] == customer_id]
    spend = mine.groupby("category")["value"].sum()
    return {
        "orders": mine["InvoiceNo"].nunique(),
        "spend": round(float(mine["value"].sum()), 2),
        "top_category": spend.idxmax(),
        "bulk": bool(np.median(mine["Quantity"]) >= 12),
        "last": mine["at"].max(),
    }
