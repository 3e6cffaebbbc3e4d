"""Score the shop's search on the judged query set: NDCG@10, recall@50, MRR,
zero-result rate and latency for lexical, semantic, hybrid and personalized,
written into docs/search.md with a chart (docs/img/search-eval.png)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.selectors import (
    product_ids_by_stock_code,
    product_search_hybrid,
    products_for_recommender,
    products_in_order,
    search_query_cache_clear,
)
from profiles.selectors import Shopper, customers_for_demo
from recommend import search_eval as se

START, END = "<!-- search-eval:start -->", "<!-- search-eval:end -->"
PAGE = 24  # the search page's page size: the personal re-rank orders within it


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(se.DEFAULT_FILE), help="the judged queries")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "search.md"))
        parser.add_argument("--chart", default=str(Path(settings.BASE_DIR) / "docs" / "img" / "search-eval.png"))
        parser.add_argument("--show", default="", help="print the graded products of this query and stop")
        parser.add_argument("--no-write", action="store_true", help="print only")
        parser.add_argument("--threads", type=int, default=1, help="torch threads (1: as one web worker's request)")

    def handle(self, *args, **opts):
        try:
            import torch

            torch.set_num_threads(max(1, opts["threads"]))
        except ImportError:  # pragma: no cover - torch is a pinned dependency
            pass
        try:
            queries = se.judged_queries_load(Path(opts["file"]))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        ids = product_ids_by_stock_code()
        products = [(ids[code], name, cat) for code, name, cat, _p, active in products_for_recommender() if active]
        se.judged_queries_label(queries, products)
        if opts["show"]:
            return self._show(queries, products, opts["show"])
        unjudgeable = [q.query for q in queries if not q.exact]
        if unjudgeable:
            self.stdout.write(f"left out, no exact product in this catalog: {', '.join(unjudgeable)}")
        judged = [q for q in queries if q.exact]
        chinese = [q for q in judged if se.is_chinese(q.query)]
        queries = [q for q in judged if not se.is_chinese(q.query)]  # the English set, as before
        tiers = {t: sum(q.tier == t for q in queries) for t in se.TIERS}
        zh_tiers = {t: sum(q.tier == t for q in chinese) for t in se.TIERS}
        self.stdout.write(f"{len(queries)} judged queries ({', '.join(f'{n} {t}' for t, n in tiers.items())})")

        def run(mode):
            return lambda text: product_search_hybrid(query=text, mode=mode).ids

        customers = list(customers_for_demo(limit=50))
        turn = {"i": 0}

        def personalized(text):
            from recommend.serving import PageState, search_rerank

            customer = customers[turn["i"] % len(customers)]
            turn["i"] += 1
            ranked = product_search_hybrid(query=text).ids
            shopper = Shopper(customer=customer, session_key="")
            page = products_in_order(product_ids=ranked[:PAGE])
            reranked, _model, _version = search_rerank(products=page, shopper=shopper, state=PageState(shopper=shopper))
            return [p.pk for p in reranked] + ranked[PAGE:]

        for mode in ("lexical", "semantic", "hybrid"):  # warm: embeddings index, vocabulary, model
            product_search_hybrid(query="warm up", mode=mode)

        def plain(text):  # the full text alone, as search was before: no typo correction
            return product_search_hybrid(query=text, mode="lexical", correct=False).ids

        reports = []
        methods = [(m, run(m)) for m in ("lexical", "semantic", "hybrid")]
        methods += [("personalized", personalized), ("lexical, no correction", plain)]
        for name, search in methods:
            if name == "personalized" and not customers:
                continue
            search_query_cache_clear()  # every query's vector is computed in its run: latency as a first search
            reports.append(se.evaluate(queries, name, search, progress=tqdm))
        table = self._table(reports)
        self.stdout.write(table)
        zh_reports = []
        for name, search in methods[:4]:  # "no correction" is the English spelling fixes' baseline
            if name == "personalized" and not customers or not chinese:
                continue
            search_query_cache_clear()
            zh_reports.append(se.evaluate(chinese, name, search, progress=tqdm))
        zh_table = self._table(zh_reports, hit=True) if zh_reports else ""
        self.stdout.write(zh_table)
        lexical = reports[0].ndcg10
        hybrid = reports[2].ndcg10
        ratio = hybrid / lexical if lexical else float("inf")
        verdict = (
            f"hybrid NDCG@10 / lexical = {ratio:.2f} (floor 1.10: {'met' if ratio >= 1.10 else 'NOT met'}); "
            f"hybrid p95 {reports[2].latency_p95_ms:.1f} ms (floor 50 ms: "
            f"{'met' if reports[2].latency_p95_ms < 50 else 'NOT met'})"
        )
        self.stdout.write(verdict)
        if opts["no_write"]:
            return
        self._chart(reports, Path(opts["chart"]))
        self._write(
            Path(opts["doc"]), len(queries), tiers, table, verdict, unjudgeable, zh=(chinese, zh_tiers, zh_table)
        )
        self.stdout.write(f"wrote {opts['doc']} and {opts['chart']}")

    def _show(self, queries, products, text):
        names = {pid: (name, cat) for pid, name, cat in products}
        for q in queries:
            if q.query.lower() == text.lower():
                for grade in se.GRADES:
                    rows = sorted(names[p][0] for p, g in q.labels.items() if g == grade)
                    self.stdout.write(f"{grade} ({len(rows)}): " + "; ".join(rows[:40]))
                return
        raise CommandError(f"{text!r} is not a judged query")

    @staticmethod
    def _table(reports, *, hit: bool = False) -> str:
        extra = " exact in top 10 |" if hit else ""
        lines = [
            "| search | NDCG@10 | head | torso | tail | recall@50 | MRR | zero results |"
            + extra
            + " p50 ms | p95 ms |",
            "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if hit else ""),
        ]
        for r in reports:
            lines.append(
                f"| {r.name} | {r.ndcg10:.3f} | {r.by_tier['head']:.3f} | {r.by_tier['torso']:.3f} | "
                f"{r.by_tier['tail']:.3f} | {r.recall50:.3f} | {r.mrr:.3f} | {r.zero_rate:.1%} | "
                + (f"{r.hit10:.1%} | " if hit else "")
                + f"{r.latency_p50_ms:.1f} | {r.latency_p95_ms:.1f} |"
            )
        return "\n".join(lines)

    @staticmethod
    def _chart(reports, path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        groups = ["all", *se.TIERS]
        width = 0.8 / len(reports)
        for i, r in enumerate(reports):
            values = [r.ndcg10, *(r.by_tier[t] for t in se.TIERS)]
            left.bar(np.arange(len(groups)) + i * width, values, width, label=r.name)
        left.set_xticks(np.arange(len(groups)) + width * (len(reports) - 1) / 2, groups)
        left.set_ylabel("NDCG@10")
        left.set_title("Relevance on the judged queries")
        left.legend(fontsize=8)
        names = [r.name for r in reports]
        right.bar(names, [r.latency_p95_ms for r in reports], color="#c0504d", label="p95")
        right.bar(names, [r.latency_p50_ms for r in reports], color="#4f81bd", label="median")
        right.axhline(50, color="k", ls="--", lw=1)
        right.set_ylabel("ms per search")
        right.set_title("Latency (dashed: 50 ms floor)")
        right.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)

    @staticmethod
    def _write(doc: Path, n, tiers, table, verdict, unjudgeable, zh=((), {}, "")) -> None:
        chinese, zh_tiers, zh_table = zh
        zh_text = ""
        if zh_table:
            zh_text = (
                f"Chinese queries ({len(chinese)}: {', '.join(f'{c} {t}' for t, c in zh_tiers.items())}), "
                "answered by the multilingual model (SEARCH_SEMANTIC_MODEL_CJK); "
                '"exact in top 10" is the share of them with an exact product in the first 10:\n\n'
                f"{zh_table}\n\n"
            )
        body = (
            f"{START}\n"
            f"Generated by `manage.py evaluate_search` on {n} judged English queries "
            f"({', '.join(f'{c} {t}' for t, c in tiers.items())}).\n\n"
            f"{table}\n\n{verdict}.\n\n"
            + zh_text
            + (f"Left out (no exact product in this catalog): {', '.join(unjudgeable)}.\n\n" if unjudgeable else "")
            + "![NDCG@10 by tier and latency per search](img/search-eval.png)\n"
            f"{END}"
        )
        text = doc.read_text(encoding="utf-8") if doc.exists() else "# Search\n\n" + START + "\n" + END + "\n"
        if START not in text:
            text += "\n" + START + "\n" + END + "\n"
        doc.write_text(re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: body, text, flags=re.S))
