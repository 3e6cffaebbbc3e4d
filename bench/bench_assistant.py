"""Reply time of the shopping assistant's embedded default, end to end through
POST /api/assistant/chat/ (parse, filters in the database, semantic ranking,
conversation stored), on the dev database (the imported store).

    .venv/bin/python manage.py assistant_index      # once: product embeddings in the cache
    .venv/bin/python bench/bench_assistant.py --rounds 5

Each round asks every request of assistant/evaluation/requests.json (English and
Chinese, follow-ups in their conversation) once, one at a time in one thread,
after a warm-up round that loads the models. Prints the median per round, the
median of those medians and the 90th percentile, and the ratio to a baseline
measured in the same run: the shop's keyword search page (GET /search/?q=...)
for the same English texts. Target: median under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from tqdm import tqdm  # noqa: E402

REQUESTS = ROOT / "assistant" / "evaluation" / "requests.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["assistant"] = "100000/min"
    from assistant.throttling import AssistantThrottle

    AssistantThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    cases = json.loads(REQUESTS.read_text())["cases"]
    english = [t["message"] for c in cases if c["lang"] == "en" for t in c["turns"]]

    def chat_round(desc: str) -> list[float]:
        times = []
        for case in tqdm(cases, desc=desc, unit="case", leave=False):
            client = Client()
            cid = None
            for turn in case["turns"]:
                body = {"message": turn["message"], **({"conversation_id": cid} if cid else {})}
                started = time.perf_counter()
                response = client.post("/api/assistant/chat/", body, content_type="application/json")
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:200]
                cid = response.json()["conversation_id"]
        return times

    def search_round() -> list[float]:
        client, times = Client(), []
        for text in english:
            started = time.perf_counter()
            response = client.get("/search/", {"q": text})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        return times

    chat_round("warm-up")
    search_round()
    chat_medians, search_medians, all_chat = [], [], []
    for r in range(args.rounds):
        times = chat_round(f"round {r + 1}")
        all_chat += times
        chat_medians.append(statistics.median(times))
        search_medians.append(statistics.median(search_round()))
    chat_ms = 1000 * statistics.median(chat_medians)
    search_ms = 1000 * statistics.median(search_medians)
    p90 = 1000 * statistics.quantiles(all_chat, n=10)[-1]
    print(f"requests per round: {sum(len(c['turns']) for c in cases)} chat, {len(english)} search")
    print("chat medians per round (ms): " + ", ".join(f"{1000 * m:.1f}" for m in chat_medians))
    print(f"assistant reply: median {chat_ms:.1f} ms, p90 {p90:.1f} ms (target < 300 ms)")
    print(f"baseline keyword search page: median {search_ms:.1f} ms")
    print(f"ratio assistant / search page: {chat_ms / search_ms:.2f}")


if __name__ == "__main__":
    main()
