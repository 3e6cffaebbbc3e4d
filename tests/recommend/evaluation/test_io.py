"""The generic CSV loader on good and bad files."""

import numpy as np
import pytest

from recommend.evaluation import DataFileError, load_interactions_csv, write_interactions_csv


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text) if isinstance(text, bytes) else p.write_text(text)
    return p


def test_good_file_iso_and_items(tmp_path):
    inter = write(
        tmp_path,
        "i.csv",
        "user_id,item_id,timestamp,quantity\n"
        "u1,A,2011-01-01T10:00:00,2\nu1,B,2011-01-01T10:00:00,1\nu2,A,2011-01-02 09:00:00,5\n",
    )
    items = write(
        tmp_path,
        "items.csv",
        "item_id,title,category,price\nA,Red mug,Kitchen,2.50\nB,Blue mug,Kitchen,2.5\nC,Never sold,Garden,1\n",
    )
    d = load_interactions_csv(inter, items)
    assert d.n_users == 2 and d.n_interactions == 3
    assert list(d.item_ids[1:]) == ["A", "B", "C"]  # C gets an index though nobody bought it
    assert d.item_features.titles[3] == "Never sold"
    assert d.item_features.categories[1] == "Kitchen"
    assert d.item_features.prices[1] == pytest.approx(2.5)
    assert sorted(d.quantity.tolist()) == [1, 2, 5]
    assert d.time.min() == pytest.approx(1293876000.0)  # 2011-01-01T10:00:00Z


def test_unix_seconds_and_rating(tmp_path):
    inter = write(tmp_path, "i.csv", "user_id,item_id,timestamp,rating\n1,10,874965758,4\n1,20,874965759,3\n")
    d = load_interactions_csv(inter)
    assert d.time.tolist() == [874965758.0, 874965759.0]
    assert d.quantity.tolist() == [4.0, 3.0]


def test_round_trip(tmp_path):
    inter = write(tmp_path, "i.csv", "user_id,item_id,timestamp\nu,A,2011-01-01T10:00:00Z\nu,B,1293880000\n")
    with pytest.raises(DataFileError):  # mixed kinds: the ISO one is not a number, the number not ISO
        load_interactions_csv(inter)
    inter = write(tmp_path, "i.csv", "user_id,item_id,timestamp\nu,A,2011-01-01T10:00:00Z\nv,B,2011-01-03\n")
    items = write(tmp_path, "items.csv", "item_id,title\nA,Mug\nB,Plate\n")
    d = load_interactions_csv(inter, items)
    ipath, itpath = write_interactions_csv(d, tmp_path / "out")
    d2 = load_interactions_csv(ipath, itpath)
    assert np.array_equal(d2.time, d.time) and list(d2.item_ids) == list(d.item_ids)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("user_id,item_id,timestamp\n", "no rows"),
        ("user,item_id,timestamp\nu,A,1\n", "missing column(s) user_id"),
        ("user_id,item_id\nu,A\n", "missing column(s) timestamp"),
        ("user_id,item_id,timestamp\nu,A,2011-01-01\nu,B,yesterday\n", "line 3: cannot parse timestamp 'yesterday'"),
        ("user_id,item_id,timestamp\nu,A,2011-01-01\n,B,2011-01-02\n", "line 3: empty user_id"),
        ("user_id,item_id,timestamp,quantity\nu,A,1,two\n", "line 2: quantity 'two' is not a number"),
        ("user_id,item_id,timestamp,quantity\nu,A,1,inf\n", "line 2: quantity 'inf' is not a number"),
        ("user_id,item_id,timestamp\nu,A,1e999\n", "line 2: timestamp '1e999' is not a finite number"),
        ("user_id,item_id,user_id\nu,A,1\n", "user_id appear twice in the header"),
        ("user_id,item_id,timestamp\nu,A,1\nu,B\n", "line 3 has 2 fields, expected 3"),
        # the unclosed quote is in line 3; the file runs on for 300 more lines
        ('user_id,item_id,timestamp\nu,A,1\nu,"B,2\n' + "v,C,3\n" * 300, "line 3: a quoted field opens on this line"),
        ('user_id,item_id,timestamp\nu,A,1\nu,"B,2\n' + "v,C,3\n" * 300 + 'w,D",4\n', "line 3: a quoted field opens"),
        ("user_id,item_id,timestamp\nu,A,2011-01-01\n\nu,B,2x\n", "line 4: cannot parse timestamp '2x'"),
        (b"user_id,item_id,timestamp\nu,A,1\nu,\xff,2\n", "line 3 is not valid UTF-8"),
    ],
)
def test_bad_interaction_files(tmp_path, text, message):
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataFileError) as exc:
        load_interactions_csv(p)
    assert message in str(exc.value)
    assert "bad.csv" in str(exc.value)


def test_bad_items_files(tmp_path):
    inter = write(tmp_path, "i.csv", "user_id,item_id,timestamp\nu,A,1\n")
    with pytest.raises(DataFileError, match="missing column"):
        load_interactions_csv(inter, write(tmp_path, "items.csv", "item_id,name\nA,Mug\n"))
    with pytest.raises(DataFileError, match="line 3: item_id 'A' appears twice"):
        load_interactions_csv(inter, write(tmp_path, "items.csv", "item_id,title\nA,Mug\nA,Cup\n"))
    with pytest.raises(DataFileError, match="file not found"):
        load_interactions_csv(tmp_path / "nope.csv")
