"""The judged query file (data/search/judged_queries.txt) parses, with its Chinese
subset, and its rules grade English product names for a Chinese query."""

from __future__ import annotations

import pytest

from recommend import search_eval as se


def test_the_judged_file_parses_with_at_least_50_chinese_queries():
    queries = se.judged_queries_load()
    chinese = [q for q in queries if se.is_chinese(q.query)]
    assert len(queries) >= 300 and len(chinese) >= 50
    assert {q.tier for q in chinese} == {"head", "torso", "tail"}
    assert "圣诞灯" in {q.query for q in chinese} and not se.is_chinese("christmas lights")


def test_a_chinese_line_grades_english_products(tmp_path):
    path = tmp_path / "judged.txt"
    path.write_text("torso | 圣诞灯 | christmas light, light @christmas | light | \n", encoding="utf-8")
    [q] = se.judged_queries_load(path)
    se.judged_queries_label(
        [q],
        [
            (1, "CHRISTMAS LIGHTS 10 REINDEER", "Christmas"),
            (2, "COLOUR CHANGING NIGHT LIGHT", "Lighting"),
            (3, "MUG", "Mugs"),
        ],
    )
    assert q.labels == {1: "exact", 2: "substitute"}
    report = se.evaluate([q], "fixed", lambda text: [3, 1])
    assert report.hit10 == 1.0 and report.mrr == 0.5
    assert se.evaluate([q], "none", lambda text: []).hit10 == 0.0


def test_a_malformed_or_repeated_chinese_line_names_its_line(tmp_path):
    path = tmp_path / "judged.txt"
    path.write_text("head | 蜡烛 | candle | | \nhead | 蜡烛 | candle | | \n", encoding="utf-8")
    with pytest.raises(ValueError, match="judged.txt:2: query '蜡烛' is judged twice"):
        se.judged_queries_load(path)
    path.write_text("head | 蜡烛 | candle\n", encoding="utf-8")
    with pytest.raises(ValueError, match="judged.txt:1: expected"):
        se.judged_queries_load(path)
