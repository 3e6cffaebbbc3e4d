"""The zh-Hans message catalog is complete, compiled and current (docs/i18n.md):
a string marked later without a translation fails here, not on a Chinese page."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MSGFMT = shutil.which("msgfmt")
needs_gettext = pytest.mark.skipif(MSGFMT is None, reason="GNU gettext (msgfmt) is not installed")

# the same folders `manage.py makemessages` is run with (docs/i18n.md)
IGNORED = ["tests", "bench", "var", "staticfiles", "data", "scripts", "artifacts", "recommend/ml"]


def _entries(path: Path) -> list[dict]:
    """(msgctxt, msgid, msgid_plural, msgstrs, flags) of each entry of a .po file."""
    entries, cur, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if cur is not None:
                entries.append(cur)
            cur = None
            continue
        cur = cur or {"msgctxt": None, "msgid": "", "msgid_plural": None, "msgstr": [], "flags": ""}
        if line.startswith("#,"):
            cur["flags"] += line
        elif line.startswith("#"):
            continue
        elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line):
            key = m.group(1)
            value = bytes(m.group(2), "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            if key.startswith("msgstr"):
                cur["msgstr"].append(value)
            else:
                cur[key] = value
        elif line.startswith('"'):
            value = bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
            if key.startswith("msgstr"):
                cur["msgstr"][-1] += value
            else:
                cur[key] += value
    return [e for e in entries if e["msgid"]]  # without the header


def test_every_msgid_is_translated_and_none_is_fuzzy():
    entries = _entries(PO)
    assert len(entries) > 400
    untranslated = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    # a Chinese catalog: every sentence is written in Chinese, not copied across
    copied = [
        e["msgid"]
        for e in entries
        if e["msgstr"][0] == e["msgid"] and re.search(r"[a-z]{3}", re.sub(r"%\(\w+\)s|<[^>]+>", "", e["msgid"]))
    ]
    assert copied == []


@needs_gettext
def test_msgfmt_accepts_the_catalog_with_no_untranslated_or_fuzzy(tmp_path):
    out = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "x.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in out.stderr and "fuzzy" not in out.stderr
    assert re.match(r"\d+ translated messages\.", out.stderr.strip())


@needs_gettext
def test_the_committed_mo_is_compiled_from_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog


@needs_gettext
def test_makemessages_finds_no_msgid_the_catalog_lacks(tmp_path):
    """makemessages over a copy of the source: the same msgids as the committed
    .po, so a string marked later and not translated fails CI."""
    copy = tmp_path / "src"
    skip = {".venv", ".git", "node_modules", "__pycache__", "var", "data", "artifacts", "staticfiles", "tests"}
    shutil.copytree(ROOT, copy, ignore=lambda d, names: [n for n in names if n in skip or n.endswith(".sqlite3")])
    (copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").unlink()
    args = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"]
    for folder in IGNORED:
        args += ["-i", folder]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.test"}
    subprocess.run(args, cwd=copy, env=env, check=True, capture_output=True)
    made = {(e["msgctxt"], e["msgid"]) for e in _entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    committed = {(e["msgctxt"], e["msgid"]) for e in _entries(PO)}
    assert sorted(made - committed, key=str) == []  # marked but not in the catalog
    assert sorted(committed - made, key=str) == []  # in the catalog but no longer used
