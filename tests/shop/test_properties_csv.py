"""Property tests of the CSV loaders (issue 13, the suite): whatever the
bytes, `import_online_retail` either imports or stops with a CommandError
naming a line and writes nothing; the generic interactions loader either
loads or raises DataFileError naming the file (and a line, past the header).
Never another exception.

Files are drawn as arbitrary bytes, as rows of arbitrary fields (commas,
quotes, line breaks, control characters inside), and as good files with one
byte changed. CSV_EXAMPLES (default 20) per property.
"""

from __future__ import annotations

import os
import re
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommend.evaluation import DataFileError, load_interactions_csv

from .test_import import HEADER, ROWS, counts

EXAMPLES = int(os.environ.get("CSV_EXAMPLES", "20"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LINE = re.compile(r"\bline (\d+)")

FIELD = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['"', '""', '"x', 'x"', ",", "\n", "\r\n", "\r", "\x00", "  ", "2010-12-01 08:26:00", "1.5", "-3"]),
    st.from_regex(r"[0-9]{5}[A-Z]?", fullmatch=True),
)


def _rows(n_fields: st.SearchStrategy[int]):
    return st.lists(st.lists(FIELD, min_size=0, max_size=10).map(",".join), max_size=8).map("\n".join)


def _mutated(text: str):
    raw = text.encode()
    return st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)).map(
        lambda iv: raw[: iv[0]] + bytes([iv[1]]) + raw[iv[0] + 1 :]
    )


GOOD = HEADER + "\n".join(ROWS[:6]) + "\n"
RETAIL_FILES = st.one_of(
    st.binary(max_size=300),
    _rows(st.integers()).map(lambda body: (HEADER + body + "\n").encode()),
    _rows(st.integers()).map(lambda body: (HEADER + body).encode()),
    _mutated(GOOD),
)


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)
    handle.write(data)
    handle.close()
    return Path(handle.name)


def _line_named(message: str, data: bytes) -> None:
    found = LINE.search(message)
    assert found, message
    total = data.count(b"\n") + data.count(b"\r") + 1
    assert 1 <= int(found.group(1)) <= total, (message, total)


@pytest.mark.django_db
@given(data=RETAIL_FILES)
@PROPERTY
def test_the_retail_import_imports_or_names_a_line_and_writes_nothing(data):
    path = _write(data)
    before = counts()
    try:
        call_command("import_online_retail", str(path), "--no-progress", stdout=StringIO())
    except CommandError as exc:
        assert "nothing was written" in str(exc)
        _line_named(str(exc), data)
        assert counts() == before
    finally:
        path.unlink()


INTERACTION_HEADERS = st.sampled_from(
    ["user_id,item_id,timestamp", "user_id,item_id,timestamp,quantity", "item_id,user_id,timestamp,rating", ""]
)
GOOD_INTERACTIONS = "user_id,item_id,timestamp,quantity\nu1,A,2011-01-01T10:00:00,2\nu2,B,2011-01-02,1\n"
INTERACTION_FILES = st.one_of(
    st.binary(max_size=200),
    st.tuples(INTERACTION_HEADERS, _rows(st.integers())).map(lambda hb: (hb[0] + "\n" + hb[1] + "\n").encode()),
    _mutated(GOOD_INTERACTIONS),
)


@given(data=INTERACTION_FILES)
@PROPERTY
def test_the_generic_loader_loads_or_names_the_file_and_line(data):
    path = _write(data)
    try:
        load_interactions_csv(path)
    except DataFileError as exc:
        message = str(exc)
        assert str(path) in message
        if not any(s in message for s in ("empty", "missing column", "no rows", "appear twice", "header")):
            _line_named(message, data)
    finally:
        path.unlink()
