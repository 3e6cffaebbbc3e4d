"""The judged search query set and its metrics (manage.py evaluate_search).

The judgments (data/search/judged_queries.txt) are rules written by a person
over what the products are, their names and categories; this module turns
them into graded products for the catalog at hand and scores four searches on
them: lexical, semantic, hybrid and personalized (hybrid re-ranked for a real
customer by recommend.serving.search_rerank, as the search page does).

Grades as the public ESCI labels, with the KDD Cup 2022 gains: exact 1.0,
substitute 0.1, complement 0.01, irrelevant 0.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GAINS = {"exact": 1.0, "substitute": 0.1, "complement": 0.01}
GRADES = ("exact", "substitute", "complement")
TIERS = ("head", "torso", "tail")
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "search" / "judged_queries.txt"


# ---------------------------------------------------------------------------
# the rules
# ---------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)?", text.lower().replace("&", " "))


def _word_forms(word: str) -> set[str]:
    forms = {word, word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    return forms


@dataclass(frozen=True)
class Term:
    alternatives: tuple[str, ...]
    category: bool = False
    negated: bool = False

    def matches(self, name_tokens: set[str], cat_tokens: set[str]) -> bool:
        pool = cat_tokens if self.category else name_tokens
        hit = False
        for alt in self.alternatives:
            if alt.endswith("*"):
                hit = any(t.startswith(alt[:-1]) for t in pool)
            else:
                # "t-light" also matches "t-lights"; a hyphenated word also matches its parts written apart
                hit = bool(_word_forms(alt) & pool)
            if hit:
                break
        return hit != self.negated


@dataclass(frozen=True)
class Rule:
    clauses: tuple[tuple[Term, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Rule:
        clauses = []
        for clause in text.split(","):
            terms = []
            for word in clause.split():
                negated = word.startswith("!")
                word = word.lstrip("!")
                category = word.startswith("@")
                word = word.lstrip("@").lower()
                if not word:
                    continue
                terms.append(Term(tuple(word.split("/")), category=category, negated=negated))
            if any(not t.negated for t in terms):
                clauses.append(tuple(terms))
        return cls(tuple(clauses))

    def matches(self, name_tokens: set[str], cat_tokens: set[str]) -> bool:
        return any(all(t.matches(name_tokens, cat_tokens) for t in clause) for clause in self.clauses)


@dataclass
class JudgedQuery:
    tier: str
    query: str
    rules: dict[str, Rule]
    labels: dict[int, str] = field(default_factory=dict)  # product id -> grade

    @property
    def exact(self) -> set[int]:
        return {pid for pid, g in self.labels.items() if g == "exact"}


def judged_queries_load(path: Path = DEFAULT_FILE) -> list[JudgedQuery]:
    """The queries of the file; ValueError naming the line for a malformed one."""
    out, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 5 or parts[0] not in TIERS or not parts[1]:
            raise ValueError(f"{path.name}:{n}: expected 'tier | query | exact | substitute | complement'")
        if parts[1].lower() in seen:
            raise ValueError(f"{path.name}:{n}: query {parts[1]!r} is judged twice")
        seen.add(parts[1].lower())
        out.append(JudgedQuery(parts[0], parts[1], {g: Rule.parse(r) for g, r in zip(GRADES, parts[2:])}))
    return out


def judged_queries_label(queries: Sequence[JudgedQuery], products: Sequence[tuple[int, str, str]]) -> None:
    """Grade every product (id, name, category) for every query: the first
    rule it matches, exact before substitute before complement."""
    tokenised = []
    for pid, name, cat in products:
        nt = set(_tokens(name))
        nt |= {part for t in nt if "-" in t for part in t.split("-")} | {t.replace("-", "") for t in nt}
        tokenised.append((pid, nt, set(_tokens(cat))))
    for q in queries:
        q.labels = {}
        for pid, nt, ct in tokenised:
            for grade in GRADES:
                if q.rules[grade].matches(nt, ct):
                    q.labels[pid] = grade
                    break


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------
def ndcg_at(ranked: Sequence[int], labels: dict[int, str], k: int = 10) -> float:
    gains = [GAINS.get(labels.get(pid, ""), 0.0) for pid in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((GAINS[g] for g in labels.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[int], relevant: set[int], k: int = 50) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[int], relevant: set[int]) -> float:
    for i, pid in enumerate(ranked, start=1):
        if pid in relevant:
            return 1.0 / i
    return 0.0


@dataclass
class MethodReport:
    name: str
    ndcg10: float
    recall50: float
    mrr: float
    zero_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    by_tier: dict[str, float]  # NDCG@10 per tier
    hit10: float = 0.0  # share of queries with an exact product in the top 10


def evaluate(
    queries: Sequence[JudgedQuery], name: str, search: Callable[[str], list[int]], *, progress=None
) -> MethodReport:
    """Run `search` (query -> ranked product ids) over the judged queries."""
    ndcg, rec, rr, zero, lat, hit = [], [], [], [], [], []
    tiers: dict[str, list[float]] = {t: [] for t in TIERS}
    for q in progress(queries, desc=name) if progress else queries:
        start = time.perf_counter()
        ranked = search(q.query)
        lat.append((time.perf_counter() - start) * 1000)
        n = ndcg_at(ranked, q.labels)
        ndcg.append(n)
        tiers[q.tier].append(n)
        rec.append(recall_at(ranked, q.exact))
        rr.append(reciprocal_rank(ranked, q.exact))
        zero.append(0.0 if ranked else 1.0)
        hit.append(1.0 if set(ranked[:10]) & q.exact else 0.0)
    return MethodReport(
        name=name,
        ndcg10=float(np.mean(ndcg)),
        recall50=float(np.mean(rec)),
        mrr=float(np.mean(rr)),
        zero_rate=float(np.mean(zero)),
        latency_p50_ms=float(np.percentile(lat, 50)),
        latency_p95_ms=float(np.percentile(lat, 95)),
        by_tier={t: float(np.mean(v)) if v else 0.0 for t, v in tiers.items()},
        hit10=float(np.mean(hit)) if hit else 0.0,
    )


def is_chinese(query: str) -> bool:
    """A query of the Chinese subset: it has a CJK ideograph."""
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in query)
