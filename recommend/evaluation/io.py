"""Generic CSV files in and out.

interactions: header `user_id,item_id,timestamp` plus an optional `quantity`
(or `rating`) column; timestamp as ISO-8601 or Unix seconds.
items (optional): header `item_id,title` plus optional `category`, `price`,
`description`. Items listed there get an index even if nobody interacted with
them. Bad files raise DataFileError naming the file, the problem and the line
(line 1 is the header).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.csvfile import CsvFormatError, csv_table, text_decode
from recommend.ml.data import InteractionData, ItemFeatures

REQUIRED = ("user_id", "item_id", "timestamp")
ITEM_REQUIRED = ("item_id", "title")
FREE_TEXT = {"title", "description", "category"}  # the only columns where a quoted line break is data


class DataFileError(ValueError):
    """A data file that cannot be used; the message names the file, problem and line."""


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """The file as a table of strings with a `_line` column: the line each row
    begins on (core.csvfile tracks it, so an unclosed quote is reported at
    the line that has it, not where the parser gave up)."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    try:
        table = csv_table(text_decode(path.read_bytes()), skipinitialspace=True, skip_blank_lines=True)
    except CsvFormatError as exc:
        if str(exc).endswith("the file is empty"):
            raise DataFileError(f"{path}: the file is empty (expected a header {','.join(required)})") from exc
        raise DataFileError(f"{path}, {exc}") from exc
    columns = [str(c).strip().lower() for c in table.header]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DataFileError(f"{path}: column(s) {', '.join(repeated)} appear twice in the header (line 1)")
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)} in the header (line 1); found {', '.join(columns)}"
        )
    if not table.rows:
        raise DataFileError(f"{path}: the file has a header but no rows")
    df = pd.DataFrame(table.rows, columns=columns, dtype=str)
    df["_line"] = table.lines
    # only free text (a title, a description) may hold a line break: one in an id or a number is
    # a quote that opened on the row's first line and swallowed the lines after it
    for col in [c for c in columns if c not in FREE_TEXT]:
        broken = df[col].str.contains("[\r\n]", regex=True)
        if broken.any():
            line = _line_of(df, broken)
            raise DataFileError(
                f"{path}, line {line}: a quoted field opens on this line and is not closed on it "
                f'(its {col} runs over a line break): a stray or unclosed quote (")'
            )
    for col in required:
        blank = df[col].str.strip() == ""
        if blank.any():
            raise DataFileError(f"{path}, line {_line_of(df, blank)}: empty {col}")
    return df


def _line_of(df: pd.DataFrame, mask) -> int:
    """The file line of the first row where `mask` is true."""
    position = int(np.flatnonzero(np.asarray(mask))[0])
    return int(df["_line"].iloc[position]) if "_line" in df.columns else position + 2


def parse_timestamps(values: pd.Series, *, path: Path | str = "<data>", lines=None) -> np.ndarray:
    """float64 Unix seconds from ISO-8601 strings or numbers (all one kind per file).
    Naive ISO times are taken as UTC; numbers must be finite. `lines`: the
    file line of each value (default: one per line after the header)."""
    s = values.str.strip()
    numeric = pd.to_numeric(s, errors="coerce")
    if numeric.notna().all():
        seconds = numeric.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(seconds)
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            line = int(lines[position]) if lines is not None else position + 2
            raise DataFileError(f"{path}, line {line}: timestamp {s.iloc[position]!r} is not a finite number")
        return seconds
    try:
        parsed = pd.to_datetime(s, errors="coerce", utc=True, format="ISO8601")
    except (ValueError, OverflowError):  # a value pandas refuses even with errors="coerce"
        parsed = pd.Series([_one_timestamp(v) for v in s], index=s.index, dtype="datetime64[ns, UTC]")
    bad = parsed.isna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        line = int(lines[position]) if lines is not None else position + 2
        raise DataFileError(
            f"{path}, line {line}: cannot parse timestamp {s.iloc[position]!r} "
            "(expected ISO-8601 like 2011-12-09T12:50:00 or Unix seconds)"
        )
    return ((parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64)


def _one_timestamp(value: str):
    try:
        return pd.to_datetime(value, errors="coerce", utc=True, format="ISO8601")
    except (ValueError, OverflowError):
        return pd.NaT


def _numbers(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """A column as finite float64 numbers (blank: NaN)."""
    v = pd.to_numeric(df[col].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    given = (df[col].str.strip() != "").to_numpy()
    bad = given & ~np.isfinite(v)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataFileError(f"{path}, line {_line_of(df, bad)}: {col} {df[col].iloc[position]!r} is not a number")
    return v


def load_interactions_csv(path: str | Path, items_path: str | Path | None = None, *, seed: int = 0) -> InteractionData:
    """Read the generic CSV form into an InteractionData (ties shuffled with `seed`)."""
    path = Path(path)
    df = _read(path, REQUIRED)
    times = parse_timestamps(df["timestamp"], path=path, lines=df["_line"].to_numpy())
    qty = None
    for col in ("quantity", "rating"):
        if col in df.columns:
            q = _numbers(df, col, path)
            qty = np.where(np.isnan(q), 1.0, q)
            break
    users = df["user_id"].str.strip().to_numpy(dtype=object)
    items = df["item_id"].str.strip().to_numpy(dtype=object)
    item_ids = np.unique(items)
    features = None
    if items_path is not None:
        items_path = Path(items_path)
        idf = _read(items_path, ITEM_REQUIRED)
        idf["item_id"] = idf["item_id"].str.strip()
        dup = idf["item_id"].duplicated().to_numpy()
        if dup.any():
            position = int(np.flatnonzero(dup)[0])
            raise DataFileError(
                f"{items_path}, line {_line_of(idf, dup)}: item_id {idf['item_id'].iloc[position]!r} appears twice"
            )
        listed = idf["item_id"].to_numpy(dtype=object)
        extra = np.setdiff1d(item_ids, listed)
        item_ids = np.concatenate([listed, extra]).astype(object)
        by_id = idf.set_index("item_id")
        n = len(item_ids) + 1

        def column(name: str) -> np.ndarray | None:
            if name not in idf.columns:
                return None
            out = np.empty(n, dtype=object)
            out[:] = ""
            out[1 : len(listed) + 1] = by_id[name].to_numpy(dtype=object)
            return out

        prices = None
        if "price" in idf.columns:
            prices = np.full(n, np.nan)
            prices[1 : len(listed) + 1] = _numbers(idf, "price", items_path)
        features = ItemFeatures(
            titles=column("title"), categories=column("category"), prices=prices, descriptions=column("description")
        )
    return InteractionData.from_arrays(users, items, times, qty, item_ids=item_ids, item_features=features, seed=seed)


def write_interactions_csv(data: InteractionData, out_dir: str | Path) -> tuple[Path, Path | None]:
    """Write the generic form: interactions.csv (ISO-8601 UTC timestamps) and, when the
    data has item features, items.csv. Returns the two paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ts = pd.to_datetime(data.time, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    inter = pd.DataFrame(
        {
            "user_id": data.user_ids[data.user],
            "item_id": data.item_ids[data.item],
            "timestamp": ts,
            "quantity": data.quantity,
        }
    )
    inter["quantity"] = inter["quantity"].map(lambda q: f"{q:g}")
    ipath = out_dir / "interactions.csv"
    inter.to_csv(ipath, index=False)
    f = data.item_features
    if f is None:
        return ipath, None
    cols = {"item_id": data.item_ids[1:], "title": f.titles[1:]}
    if f.categories is not None:
        cols["category"] = f.categories[1:]
    if f.prices is not None:
        cols["price"] = [("" if np.isnan(p) else f"{p:.2f}") for p in f.prices[1:]]
    if f.descriptions is not None:
        cols["description"] = f.descriptions[1:]
    items_out = out_dir / "items.csv"
    pd.DataFrame(cols).to_csv(items_out, index=False)
    return ipath, items_out


def online_retail_to_generic(raw_csv: str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """Convert the raw UCI Online Retail file (data/online_retail.csv.gz) into the
    generic form: customers with an id, purchases of product codes only (codes
    that start with five digits), no cancellations, positive quantity and price;
    the item title is the most frequent description of the code."""
    raw = pd.read_csv(raw_csv, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    raw = raw[
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & raw["StockCode"].str.match(r"^\d{5}")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    ]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inter = pd.DataFrame(
        {
            "user_id": raw["CustomerID"].str.replace(r"\.0$", "", regex=True),
            "item_id": raw["StockCode"].str.upper(),
            "timestamp": pd.to_datetime(raw["InvoiceDate"]).dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "quantity": raw["Quantity"],
        }
    )
    ipath = out_dir / "interactions.csv"
    inter.to_csv(ipath, index=False)
    titles = (
        raw.assign(item_id=inter["item_id"], Description=raw["Description"].fillna("").str.strip())
        .groupby("item_id")["Description"]
        .agg(lambda s: s.value_counts().index[0])
    )
    prices = raw.assign(item_id=inter["item_id"]).groupby("item_id")["UnitPrice"].median()
    items = pd.DataFrame(
        {"item_id": titles.index, "title": titles.to_numpy(), "price": prices.reindex(titles.index).round(2).to_numpy()}
    )
    items_path = out_dir / "items.csv"
    items.to_csv(items_path, index=False)
    return ipath, items_path
