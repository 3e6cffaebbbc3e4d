"""metrics.json, report.md and PNG charts from a run_evaluation result."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TABLE_COLUMNS = (
    "ndcg@10",
    "hr@10",
    "recall@10",
    "precision@10",
    "mrr@10",
    "map@10",
    "ndcg@20",
    "recall@20",
    "coverage@10",
    "gini@10",
    "novelty@10",
    "diversity@10",
    "fit_seconds",
    "score_seconds",
)
LOWER_IS_BETTER = {"gini@10", "fit_seconds", "score_seconds"}
NEUTRAL = {"novelty@10", "diversity@10"}  # more is not simply better: no bold


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def _table(models: dict) -> list[str]:
    names = list(models)
    cols = [c for c in TABLE_COLUMNS if any(c in models[n] for n in names)]
    best = {}
    for c in cols:
        if c in NEUTRAL:
            continue
        vals = [models[n].get(c) for n in names if isinstance(models[n].get(c), int | float)]
        if vals:
            best[c] = min(vals) if c in LOWER_IS_BETTER else max(vals)
    lines = ["| model | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for n in names:
        cells = []
        for c in cols:
            v = models[n].get(c)
            s = _fmt(v)
            cells.append(f"**{s}**" if c in best and v is not None and _fmt(best[c]) == s else s)
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def _ci_table(models: dict) -> list[str]:
    lines = ["| model | ndcg@10 | 95% CI | hr@10 | 95% CI |", "|---|---:|---|---:|---|"]
    for n, m in models.items():
        nci = m.get("ndcg@10_ci") or [None, None]
        hci = m.get("hr@10_ci") or [None, None]
        lines.append(
            f"| {n} | {_fmt(m.get('ndcg@10'))} | [{_fmt(nci[0])}, {_fmt(nci[1])}] | "
            f"{_fmt(m.get('hr@10'))} | [{_fmt(hci[0])}, {_fmt(hci[1])}] |"
        )
    return lines


def _paired_table(paired: dict) -> list[str]:
    ref, metric = paired["reference"], paired["metric"]
    lines = [
        f"Paired bootstrap (same test users resampled for both models) of {metric} of **{ref}** "
        "minus each other model; a 95% CI above 0 is a win beyond the noise:",
        "",
        f"| {ref} minus | difference | 95% CI | beyond noise |",
        "|---|---:|---|---|",
    ]
    for other, d in paired["vs"].items():
        lines.append(
            f"| {other} | {d['diff']:+.4f} | [{d['ci'][0]:+.4f}, {d['ci'][1]:+.4f}] | "
            f"{'yes' if d['beyond_noise'] else 'no (tie)'} |"
        )
    return lines


def plot_metric_by_model(models: dict, path: Path, title: str) -> None:
    names = list(models)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("ndcg@10", "hr@10")):
        vals = [models[n].get(metric, 0.0) for n in names]
        cis = [models[n].get(f"{metric}_ci") or [v, v] for n, v in zip(names, vals)]
        err = [[max(0.0, v - c[0]) for v, c in zip(vals, cis)], [max(0.0, c[1] - v) for v, c in zip(vals, cis)]]
        ax.bar(names, vals, yerr=err, capsize=4, color="#4a7ab5")
        ax.set_title(f"{metric} (95% bootstrap CI)")
        ax.tick_params(axis="x", rotation=45)
        ax.set_ylim(bottom=0)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ndcg_over_k(models: dict, ks: list[int], path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 4))
    colours = plt.get_cmap("tab20").colors  # ten colours are not enough for every model: no two lines alike
    markers = "osD^v<>ph*"
    for i, (n, m) in enumerate(models.items()):
        ax.plot(
            ks,
            [m.get(f"ndcg@{k}", 0.0) for k in ks],
            marker=markers[i % len(markers)],
            color=colours[(2 * i) % 20 if i < 10 else (2 * i + 1) % 20],
            label=n,
        )
    ax.set_xlabel("K")
    ax.set_ylabel("NDCG@K")
    ax.set_xticks(ks)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(
    result: dict, out_dir: str | Path, *, command: str | None = None, see_also: list[tuple[str, str]] | None = None
) -> dict[str, Path]:
    """Write metrics.json, report.md and the PNG charts into out_dir. Returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / "metrics.json", "report": out / "report.md"}
    paths["metrics"].write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    proto = result["protocol"]
    ks = proto.get("ks", [5, 10, 20])
    ds = result["dataset"]
    main = "all targets" if proto["name"] == "temporal" else "held-out basket"
    views = [("models", main, main)]
    if result.get("explore"):
        views.append(("explore", "explore: items new to the customer, already-bought items filtered", "explore"))
    lines = [f"# Offline evaluation: {proto['name']} protocol", ""]
    if command:
        lines += ["Generated by:", "", f"    {command}", ""]
    for label, link in see_also or []:
        lines += [f"See also: [{label} protocol]({link})", ""]
    lines += ["## Data set", "", "| statistic | value |", "|---|---:|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in ds.items()]
    lines += ["", "## Protocol", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in proto.items()]
    lines += [
        "",
        "Best value per column in **bold** (lowest for gini and seconds; novelty and diversity "
        "are descriptive). Differences inside the confidence intervals are ties.",
        "",
    ]
    for key, label, short in views:
        models = result.get(key) or {}
        if not models:
            continue
        lines += [f"## Results: {label}", ""] + _table(models)
        lines += ["", "Bootstrap 95% confidence intervals (over test users, seeded):", ""] + _ci_table(models)
        paired = (result.get("paired") or {}).get(key)
        if paired and paired.get("vs"):
            lines += [""] + _paired_table(paired)
        tag = "" if key == "models" else f"_{key}"
        bar_png = out / f"metric_by_model{tag}.png"
        k_png = out / f"ndcg_over_k{tag}.png"
        sampled = ", sampled" if proto.get("sampled") else ""
        plot_metric_by_model(models, bar_png, f"{proto['name']}{sampled}: {short}")
        plot_ndcg_over_k(models, ks, k_png, f"NDCG@K, {proto['name']}{sampled}: {short}")
        paths[bar_png.stem] = bar_png
        paths[k_png.stem] = k_png
        lines += ["", f"![metric by model]({bar_png.name})", "", f"![NDCG over K]({k_png.name})", ""]
    paths["report"].write_text("\n".join(lines) + "\n")
    return paths
