"""Read, validate and shape the Online Retail CSV before anything is written.

`history_parse(path)` returns a `ParsedHistory`: products, customers, orders,
order lines and cancellation lines as plain records, plus a count of every row
that was not used and why. It never touches the database, so the import command
can refuse a broken file before writing a single row.

Rules (documented in docs/import.md):
- a stock code is a product when it starts with five digits (``85123A``,
  ``22423``); codes are upper-cased (``85123a`` is ``85123A``). Everything
  else is a fee or an adjustment: codes without digits (POST, D, M, DOT, BANK
  CHARGES, AMAZONFEE, CRUK, PADS, S, B), ``C2`` (carriage), gift vouchers
  (``gift_0001_*``) and ``DCGS*`` marketplace listings;
  a few five-digit codes are service lines by their name (``Next Day Carriage``,
  ``PACKING CHARGE``, ``High Resolution Image``, gift vouchers) and are fees too;
- a row is bad (counted, not used) when its date, quantity or price does not
  parse, its description is blank, its price is zero or negative, or (outside
  a cancellation) its quantity is zero or negative (stock fixes, damages);
- an invoice starting with ``C`` is a cancellation: its lines become returns;
- an order is an invoice with at least one good product line; its postage
  lines (POST, DOT, C2) become the order's shipping.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from catalog.selectors import categories_for_names, product_display_name
from core.csvfile import CsvFormatError, CsvTable, csv_table, text_decode

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
PRODUCT_CODE = re.compile(r"^\d{5}[A-Z]*$")
SHIPPING_CODES = {"POST", "DOT", "C2"}
SERVICE_NAMES = re.compile(r"^(?:next day carriage|packing charge|high resolution image)$|gift voucher", re.IGNORECASE)
TIME_ZONE = "Europe/London"

# Why a row was not used, as shown in the report.
BAD_DATE = "unparseable date"
BAD_NUMBER = "unparseable quantity or price"
BAD_DESCRIPTION = "blank description"
BAD_PRICE = "zero or negative price"
BAD_QUANTITY = "zero or negative quantity outside a cancellation (stock fix, damage)"
BAD_CANCELLATION = "cancellation with a positive quantity"
BAD_CUSTOMER = "unparseable CustomerID"
NOT_PRODUCT = "fee or adjustment, not a product (POST, D, M, BANK CHARGES, ...)"


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, truncated, malformed)."""


@dataclass(frozen=True)
class ProductRow:
    stock_code: str
    name: str
    price: Decimal
    category: str
    stock: int
    units_sold: int
    first_sold_at: datetime | None


@dataclass(frozen=True)
class CustomerRow:
    external_id: int
    country: str


@dataclass(frozen=True)
class OrderRow:
    number: str
    customer_external_id: int | None
    country: str
    placed_at: datetime
    original_placed_at: datetime
    subtotal: Decimal
    shipping: Decimal
    total: Decimal


@dataclass(frozen=True)
class LineRow:
    order_number: str
    stock_code: str
    product_name: str
    quantity: int
    quantity_returned: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class ReturnRow:
    number: str
    customer_external_id: int | None
    stock_code: str
    quantity: int
    unit_price: Decimal
    created_at: datetime


@dataclass
class ParsedHistory:
    rows: int
    products: list[ProductRow]
    customers: list[CustomerRow]
    orders: list[OrderRow]
    lines: list[LineRow]
    returns: list[ReturnRow]
    skipped: Counter = field(default_factory=Counter)
    shift: timedelta = timedelta(0)


def _read_text(path: Path) -> str:
    """The whole file as text; a gzip file that ends early names the last line read."""
    if not path.exists():
        raise ImportFileError(f"{path}: file not found")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        out = io.BytesIO()
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                while chunk := gz.read(1 << 20):
                    out.write(chunk)
        except (EOFError, OSError, zlib.error) as exc:
            lines_read = out.getvalue().count(b"\n")
            raise ImportFileError(
                f"{path}: the compressed file is truncated or corrupt ({exc}); "
                f"it stops in line {lines_read + 1} (after {lines_read} complete lines)"
            ) from exc
        raw = out.getvalue()
    try:
        return text_decode(raw)
    except CsvFormatError as exc:
        raise ImportFileError(f"{path}: {exc}") from exc


def _read_table(path: Path, text: str) -> CsvTable:
    """Every line has exactly the 8 columns of the header and the last line is
    complete. No field of the history holds a line break, so a quoted field
    that runs over one is a stray or unclosed quote: reported at the line
    that has it (core.csvfile), not where the csv module gave up."""
    try:
        table = csv_table(text, multiline=False)
    except CsvFormatError as exc:
        raise ImportFileError(f"{path}: {exc} (the file is malformed or truncated)") from exc
    header = [h.strip().lstrip("\ufeff") for h in table.header]
    if header != COLUMNS:
        raise ImportFileError(f"{path}: line 1: expected the columns {','.join(COLUMNS)}, found {','.join(header)}")
    if not text.endswith(("\n", "\r")):
        last = table.lines[-1] if table.lines else 1
        raise ImportFileError(f"{path}: line {last} is incomplete (no line end): the file is truncated")
    return table


def _most_frequent(series: pd.Series) -> pd.Series:
    """Per group key (index level 0), the most frequent value; ties go to the
    alphabetically first value so the result never depends on row order."""
    counts = series.groupby([series.index, series.values]).size().rename("n").reset_index()
    counts.columns = ["key", "value", "n"]
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("key").set_index("key")["value"]


def history_shift(end: datetime, *, today: datetime) -> timedelta:
    """How far to move the history so that its last day is the import day:
    the largest whole number of weeks that does not put it in the future, so
    every order keeps its weekday and hour. Both times are naive local times."""
    return timedelta(weeks=max(0, (today - end) // timedelta(weeks=1)))


def history_parse(
    path: Path | str, *, shift: timedelta | None = None, today: datetime | None = None, progress=None
) -> ParsedHistory:
    """Read and shape the history. Raises ImportFileError for a file that cannot be used.

    `shift` moves every timestamp (None: `history_shift` to `today`, a naive
    local time, by default now in Europe/London); each order keeps its
    original time too. Purchase lines come out netted: each cancellation line
    takes its units back from the same shopper's latest earlier purchase lines
    of that product (see `lines_net`)."""
    path = Path(path)
    step = progress or (lambda label: None)
    step("reading")
    df = _read_frame(path)
    step("parsing")
    reason, skipped = _rows_mark_bad(df)
    good = df[reason == ""].copy()
    good["qty"] = good["qty"].astype("int64")
    if shift is None:
        now = today or pd.Timestamp.now(tz=TIME_ZONE).tz_localize(None).to_pydatetime()
        shift = history_shift(good["when"].max().to_pydatetime(), today=now) if len(good) else timedelta(0)
    good["original"] = _localize(good["when"])
    good["when"] = _localize(good["when"] + shift)
    is_cancel = good["InvoiceNo"].str.startswith("C")
    sales = good[~is_cancel].copy()
    cancels = good[is_cancel]
    sales["returned"] = lines_net(sales, cancels)

    step("products")
    products = _products(good, sales)
    step("customers")
    customers = _customers(df)
    step("orders")
    sales["total"] = (sales["qty"] * sales["price"]).round(2)
    orders = _orders(df, sales, shift)
    lines = _lines(sales, {p.stock_code: product_display_name(name=p.name) for p in products})
    step("returns")
    returns = _returns(cancels)
    return ParsedHistory(
        rows=len(df),
        products=products,
        customers=customers,
        orders=orders,
        lines=lines,
        returns=returns,
        skipped=skipped,
        shift=shift,
    )


def _read_frame(path: Path) -> pd.DataFrame:
    """The validated file as a table of strings plus parsed columns (code,
    qty, price, naive local `when`, numeric `customer`, file `line`)."""
    text = _read_text(path)
    table = _read_table(path, text)
    df = pd.DataFrame(table.rows, columns=COLUMNS, dtype=str)
    df["line"] = table.lines
    df["InvoiceNo"] = df["InvoiceNo"].str.strip()
    df["code"] = df["StockCode"].str.strip().str.upper()
    df["Description"] = df["Description"].str.strip()
    df["Country"] = df["Country"].str.strip()
    df["qty"] = pd.to_numeric(df["Quantity"], errors="coerce")
    df["price"] = pd.to_numeric(df["UnitPrice"], errors="coerce")
    df["when"] = pd.to_datetime(df["InvoiceDate"].str.strip(), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    df["customer"] = pd.to_numeric(df["CustomerID"].str.strip().replace("", "nan"), errors="coerce")
    return df


def _rows_mark_bad(df: pd.DataFrame) -> tuple[pd.Series, Counter]:
    """Why each row is not used ("" when it is), and the count per reason."""
    reason = pd.Series("", index=df.index, dtype=object)

    def mark(mask, why):
        mask = mask & (reason == "")
        reason[mask] = why

    is_cancel = df["InvoiceNo"].str.startswith("C")
    is_code_product = df["code"].str.match(PRODUCT_CODE.pattern) & ~df["Description"].str.contains(
        SERVICE_NAMES.pattern, case=False, regex=True
    )
    mark(df["when"].isna(), BAD_DATE)
    mark(df["qty"].isna() | df["price"].isna() | (df["qty"] % 1 != 0), BAD_NUMBER)
    mark(df["CustomerID"].str.strip().ne("") & df["customer"].isna(), BAD_CUSTOMER)
    mark(~is_code_product, NOT_PRODUCT)
    mark(df["Description"].eq(""), BAD_DESCRIPTION)
    mark(df["price"] <= 0, BAD_PRICE)
    mark(~is_cancel & (df["qty"] <= 0), BAD_QUANTITY)
    mark(is_cancel & (df["qty"] > 0), BAD_CANCELLATION)
    skipped: Counter = Counter()
    for why, n in reason[reason != ""].value_counts().items():
        skipped[why] = int(n)
    return reason, skipped


def _localize(naive: pd.Series) -> pd.Series:
    return naive.dt.tz_localize(TIME_ZONE, ambiguous=False, nonexistent="shift_forward")


def lines_net(sales: pd.DataFrame, cancels: pd.DataFrame) -> pd.Series:
    """Units of each purchase line that a later cancellation took back.

    The file's cancellations do not name the invoice they cancel, so each
    cancellation line (customer, or "guest" for none, and product) takes its
    units from that shopper's purchase lines of the product placed at or
    before it, latest first, until its quantity is used up. Units left over
    cancel a purchase from before the history starts: there is nothing to net.
    Returns a Series aligned with `sales` (0 for untouched lines)."""
    returned = pd.Series(0, index=sales.index, dtype="int64")
    if not len(cancels) or not len(sales):
        return returned
    key = lambda frame: list(zip(frame["customer"].fillna(-1).astype("int64"), frame["code"]))  # noqa: E731
    wanted = set(key(cancels))
    sales_key = pd.Series(key(sales), index=sales.index)
    candidates = sales[sales_key.isin(wanted)].sort_values(["when", "line"], kind="stable")
    by_key: dict[tuple, list] = {}
    for idx, k, when, qty in zip(candidates.index, key(candidates), candidates["when"], candidates["qty"]):
        by_key.setdefault(k, []).append([when, idx, int(qty)])
    ordered = cancels.sort_values(["when", "line"], kind="stable")
    for k, when, qty in zip(key(ordered), ordered["when"], ordered["qty"]):
        left = -int(qty)
        for entry in reversed(by_key.get(k, [])):
            if left == 0:
                break
            if entry[0] > when or entry[2] == 0:
                continue
            take = min(entry[2], left)
            entry[2] -= take
            left -= take
            returned[entry[1]] += take
    return returned


def _products(good: pd.DataFrame, sales: pd.DataFrame) -> list[ProductRow]:
    """One product per stock code: name, price, category, stock, net units sold."""
    by_code = good.set_index("code")
    names = _most_frequent(by_code["Description"])
    last_price = good.sort_values(["when", "line"], kind="stable").groupby("code")["price"].last()
    units = (sales["qty"] - sales["returned"]).groupby(sales["code"]).sum()
    first_sold = sales.groupby("code")["when"].min()
    last_sold = sales.groupby("code")["when"].max()
    end = good["when"].max()
    months = max((end - good["when"].min()).days / 30.4, 1.0) if len(good) else 1.0
    codes = sorted(names.index)
    categories = categories_for_names(names=[names[c] for c in codes])
    products = []
    for code, category in zip(codes, categories):
        sold = int(units.get(code, 0))
        recent = code in last_sold.index and (end - last_sold[code]).days <= 90
        # Stock to sell from: about two months of the product's average net
        # demand, at least 10; products not sold in the last 90 days are out of stock.
        stock = min(1000, max(10, round(2 * sold / months))) if recent else 0
        first = first_sold.get(code)
        products.append(
            ProductRow(
                stock_code=code,
                name=names[code][:255],
                price=Decimal(f"{last_price[code]:.2f}"),
                category=category,
                stock=stock,
                units_sold=max(sold, 0),
                first_sold_at=first.to_pydatetime() if first is not None and not pd.isna(first) else None,
            )
        )
    return products


def _customers(df: pd.DataFrame) -> list[CustomerRow]:
    with_customer = df[df["customer"].notna() & df["when"].notna()]
    countries = _most_frequent(with_customer.set_index("customer")["Country"])
    return [CustomerRow(external_id=int(cid), country=countries[cid]) for cid in sorted(countries.index)]


def _orders(df: pd.DataFrame, sales: pd.DataFrame, shift: timedelta) -> list[OrderRow]:
    """One order per invoice with a product line; postage lines are its shipping."""
    heads = sales.groupby("InvoiceNo", sort=False).agg(
        when=("when", "first"),
        original=("original", "first"),
        customer=("customer", "first"),
        country=("Country", "first"),
        subtotal=("total", "sum"),
    )
    is_cancel = df["InvoiceNo"].str.startswith("C")
    ship_rows = df[
        df["code"].isin(SHIPPING_CODES) & df["when"].notna() & (df["price"] > 0) & (df["qty"] > 0) & ~is_cancel
    ]
    shipping = (ship_rows["qty"] * ship_rows["price"]).groupby(ship_rows["InvoiceNo"]).sum()
    heads["shipping"] = shipping.reindex(heads.index).fillna(0.0)
    return [
        OrderRow(
            number=str(number),
            customer_external_id=None if pd.isna(c) else int(c),
            country=country,
            placed_at=when.to_pydatetime(),
            original_placed_at=original.to_pydatetime(),
            subtotal=Decimal(f"{sub:.2f}"),
            shipping=Decimal(f"{ship:.2f}"),
            total=Decimal(f"{sub:.2f}") + Decimal(f"{ship:.2f}"),
        )
        for number, when, original, c, country, sub, ship in zip(
            heads.index,
            heads["when"],
            heads["original"],
            heads["customer"],
            heads["country"],
            heads["subtotal"],
            heads["shipping"],
        )
    ]


def _lines(sales: pd.DataFrame, product_names: dict[str, str]) -> list[LineRow]:
    return [
        LineRow(
            order_number=number,
            stock_code=code,
            product_name=product_names[code],
            quantity=int(q),
            quantity_returned=int(r),
            unit_price=Decimal(f"{p:.2f}"),
            line_total=Decimal(f"{t:.2f}"),
        )
        for number, code, q, r, p, t in zip(
            sales["InvoiceNo"], sales["code"], sales["qty"], sales["returned"], sales["price"], sales["total"]
        )
    ]


def _returns(cancels: pd.DataFrame) -> list[ReturnRow]:
    return [
        ReturnRow(
            number=number,
            customer_external_id=None if pd.isna(c) else int(c),
            stock_code=code,
            quantity=-int(q),
            unit_price=Decimal(f"{p:.2f}"),
            created_at=when.to_pydatetime(),
        )
        for number, c, code, q, p, when in zip(
            cancels["InvoiceNo"],
            cancels["customer"],
            cancels["code"],
            cancels["qty"],
            cancels["price"],
            cancels["when"],
        )
    ]
