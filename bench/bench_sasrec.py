"""SASRec training speed: seconds per epoch, and the validation NDCG@10 it reaches.

Standalone (no Django): reads the generic CSV `user_id,item_id,timestamp[,quantity]`,
so a GPU box needs only this repository and that file.

    .venv/bin/python bench/bench_sasrec.py --export            # write var/bench/store_interactions.csv
    .venv/bin/python bench/bench_sasrec.py --device cpu --epochs 3
    .venv/bin/python bench/bench_sasrec.py --device cuda --data var/bench/store_interactions.csv

Prints the median seconds per epoch of the default model (one basket per step,
full softmax over the catalog; the epoch time includes its validation pass),
the validation NDCG@10 per epoch (last basket of 500 shoppers held out of the
training data: every item / new items only), and, as the baseline measured in
the same run on the same data and device-independent, one full fit of
`implicit` ALS (`--baseline none` skips it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recommend.evaluation.io import load_interactions_csv, online_retail_to_generic  # noqa: E402
from recommend.ml.device import DEFAULT_DEVICE, DEVICES, resolve_device  # noqa: E402
from recommend.ml.sasrec import SASRec  # noqa: E402

DEFAULT_CSV = ROOT / "var" / "bench" / "store_interactions.csv"


def export(path: Path) -> Path:
    inter, _ = online_retail_to_generic(ROOT / "data" / "online_retail.csv.gz", path.parent)
    if inter != path:
        inter.replace(path)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return path


def run(data, *, epochs: int, **config) -> tuple[SASRec, list[float]]:
    stamps = [time.perf_counter()]
    model = SASRec(epochs=epochs, patience=epochs + 1, **config)
    model.fit(data, progress=lambda stage, done, total: stamps.append(time.perf_counter()))
    return model, [b - a for a, b in zip(stamps[:-1], stamps[1:])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_CSV, help="generic interactions CSV")
    ap.add_argument("--export", action="store_true", help="write the store's interactions to --data and stop")
    ap.add_argument("--device", default=DEFAULT_DEVICE, choices=DEVICES)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--baseline", default="als", choices=("als", "none"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.export:
        export(args.data)
        return
    if not args.data.exists():
        if args.data != DEFAULT_CSV:
            sys.exit(f"{args.data} does not exist")
        export(args.data)
    t0 = time.perf_counter()
    data = load_interactions_csv(args.data, seed=args.seed)
    print(
        f"data: {data.n_users} users, {data.n_items} items, {data.n_interactions} interactions "
        f"(read in {time.perf_counter() - t0:.1f} s)"
    )
    device = resolve_device(args.device)
    model, secs = run(data, epochs=args.epochs, device=device, seed=args.seed)
    med = statistics.median(secs)
    print(
        f"sasrec ({device}): epochs {len(secs)}, seconds/epoch median {med:.2f} "
        f"(all: {', '.join(f'{s:.2f}' for s in secs)})"
    )
    per_epoch = ", ".join(f"{h['val_ndcg10']:.4f}/{h['val_new_ndcg10']:.4f}" for h in model.history_)
    print(f"validation NDCG@10 per epoch (every item / new items): {per_epoch}")
    if args.baseline == "als":
        from recommend.ml.implicit_adapter import ALS

        t = time.perf_counter()
        ALS(seed=args.seed).fit(data)
        als = time.perf_counter() - t
        print(f"baseline: implicit ALS full fit {als:.2f} s; one SASRec epoch = {med / als:.2f}x an ALS fit")


if __name__ == "__main__":
    main()
