"""python manage.py evaluate: every baseline (or --models) on one honest split."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommend.evaluation import DataFileError, load_interactions_csv, run_evaluation, write_report
from recommend.ml.base import build_model, config_check
from recommend.ml.device import DEFAULT_DEVICE, DEVICES, resolve_device
from recommend.ml.registry import BASELINES, MODELS
from recommend.services import embedding_cache_dir

PROTOCOLS = ("temporal", "leave-last")


def parse_date(value: str) -> float:
    """ISO date or datetime (naive = UTC) -> Unix seconds."""
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--cutoff {value!r} is not an ISO date like 2011-11-01 or 2011-11-01T12:00") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def factory(name: str, seed: int, config: dict | None = None, **runtime):
    """A builder of the named model with this config, the run's seed where the model is
    seeded, and the runtime arguments (device, cache_dir) it takes."""
    cls = MODELS[name]
    cfg = dict(config or {})
    if "seed" in cls.defaults:
        cfg.setdefault("seed", seed)
    return lambda: build_model(cls, cfg, **runtime)


def parse_config(value: str | None, names: list[str]) -> dict[str, dict]:
    """--config '{"sasrec": {"max_len": 200}}' -> per-model config; only for models in the run."""
    if not value:
        return {}
    try:
        cfg = json.loads(value)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--config is not valid JSON: {exc}") from exc
    if not isinstance(cfg, dict) or not all(isinstance(v, dict) for v in cfg.values()):
        raise CommandError('--config must map model names to objects, e.g. \'{"sasrec": {"epochs": 5}}\'')
    stray = sorted(set(cfg) - set(names))
    if stray:
        raise CommandError(f"--config given for model(s) not in this run: {', '.join(stray)}")
    for name, c in cfg.items():
        try:
            config_check(name, c)
        except ValueError as exc:
            raise CommandError(f"--config: {exc}") from exc
    return cfg


class Command(BaseCommand):
    help = (
        "Evaluate recommenders offline on the store's purchases (default) or a generic CSV, and write "
        "metrics.json, report.md and PNG charts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interactions",
            help="CSV user_id,item_id,timestamp[,quantity|rating]; default: the store's purchase events",
        )
        parser.add_argument("--items", help="CSV item_id,title[,category,price,description]")
        parser.add_argument(
            "--protocol",
            default="temporal",
            help="temporal or leave-last, or both comma-separated: the first writes into "
            "--out, each further one into --out/<protocol>/ (default temporal)",
        )
        parser.add_argument("--cutoff", help="temporal cutoff date (ISO); default: last 10%% of the time span")
        parser.add_argument(
            "--sampled",
            action="store_true",
            help="rank against 100 sampled negatives (for comparison with papers only)",
        )
        parser.add_argument(
            "--split",
            choices=("test", "validation"),
            default="test",
            help="validation: a split carved from the training period (test data unread)",
        )
        parser.add_argument(
            "--models",
            default=",".join(BASELINES),
            help=f"comma-separated model names, or all (default: {','.join(BASELINES)}; known: {','.join(MODELS)})",
        )
        parser.add_argument("--k", default="5,10,20", help="cutoffs K, comma-separated (default 5,10,20)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--device",
            default=DEFAULT_DEVICE,
            choices=DEVICES,
            help="torch device of the models that train on one (SASRec); auto: CUDA when present",
        )
        parser.add_argument("--config", help='settings per model as JSON, e.g. \'{"sasrec": {"max_len": 200}}\'')
        parser.add_argument("--out", default="var/evaluation", help="output folder (default var/evaluation)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **opts):
        protocols = [p.strip() for p in opts["protocol"].split(",") if p.strip()]
        bad = [p for p in protocols if p not in PROTOCOLS]
        if bad or not protocols:
            raise CommandError(f"unknown protocol {', '.join(bad) or '(none)'}; choose from {', '.join(PROTOCOLS)}")
        names = (
            list(MODELS)
            if opts["models"].strip() == "all"
            else [m.strip() for m in opts["models"].split(",") if m.strip()]
        )
        unknown = [m for m in names if m not in MODELS]
        if unknown or not names:
            raise CommandError(f"unknown model {', '.join(unknown) or '(none)'}; known: {', '.join(MODELS)}")
        try:
            ks = tuple(int(k) for k in opts["k"].split(","))
        except ValueError as exc:
            raise CommandError(f"--k {opts['k']!r} must be comma-separated integers") from exc
        config = parse_config(opts["config"], names)
        try:
            device = resolve_device(opts["device"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if any(k <= 0 for k in ks):
            raise CommandError("--k values must be positive")
        if 10 not in ks:
            ks = tuple(sorted(set(ks) | {10}))  # the headline metrics and their CIs are @10
        cutoff = parse_date(opts["cutoff"]) if opts["cutoff"] else None
        if opts["items"] and not opts["interactions"]:
            raise CommandError("--items needs --interactions")
        seed = opts["seed"]
        if opts["interactions"]:
            try:
                data = load_interactions_csv(opts["interactions"], opts["items"], seed=seed)
            except DataFileError as exc:
                raise CommandError(str(exc)) from exc
            source = opts["interactions"]
        else:
            from recommend.snapshot import store_interactions

            data = store_interactions(seed=seed)
            source = "store purchase events"
            if data.n_interactions == 0:
                raise CommandError(
                    "the store has no purchase events yet: run import_online_retail first, or pass --interactions"
                )
        self.stderr.write(
            f"{source}: {data.n_users} users, {data.n_items} items, {data.n_interactions} interactions; device {device}"
        )
        runtime = {"device": device, "cache_dir": embedding_cache_dir()}
        out = Path(opts["out"])
        command = "python manage.py evaluate " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        for i, protocol in enumerate(protocols):
            try:
                result = run_evaluation(
                    data,
                    {n: factory(n, seed, config.get(n), **runtime) for n in names},
                    protocol=protocol,
                    cutoff=cutoff if protocol == "temporal" else None,
                    ks=ks,
                    sampled=opts["sampled"],
                    seed=seed,
                    split=opts["split"],
                    progress=not opts["no_progress"],
                )
            except ValueError as exc:
                raise CommandError(f"{protocol}: {exc}") from exc
            result["dataset"]["source"] = str(source)
            target = out if i == 0 else out / protocol
            others = [p for p in protocols if p != protocol]
            write_report(
                result,
                target,
                command=command,
                see_also=[(p, (f"{p}/report.md" if i == 0 else "../report.md")) for p in others],
            )
            self._headline(protocol, result, target)

    def _headline(self, protocol: str, result: dict, target: Path) -> None:
        self.stdout.write(f"\n{protocol} ({result['protocol']['test_users']} test users) -> {target}/report.md")
        self.stdout.write(f"{'model':<12}{'ndcg@10':>9}{'hr@10':>8}{'recall@10':>11}{'cov@10':>8}{'fit s':>8}")
        for name, m in result["models"].items():
            self.stdout.write(
                f"{name:<12}{m['ndcg@10']:>9.4f}{m['hr@10']:>8.4f}{m['recall@10']:>11.4f}"
                f"{m['coverage@10']:>8.4f}{m['fit_seconds']:>8.1f}"
            )
