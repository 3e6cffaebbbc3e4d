"""The `SASRec` recommender: data preparation, training loop, scoring, persistence.

Training: each shopper's sequence (ties inside a basket already shuffled with
a seed by `InteractionData`, never ordered by id) is cut into windows of
`max_len` next-item predictions; loss is full-softmax cross-entropy over the
whole catalog (`negatives`: 0) or, by default, a sampled softmax:
cross-entropy against many shared negatives (`negatives`: 256) drawn by
popularity ** 0.75 with the logQ correction; the gSASRec paper shows many
negatives close to full softmax and far better than one negative with BCE, at
a tenth of the cost on a CPU. Adam, seeded. Early stopping watches NDCG@10 of the last basket of `val_users`
shoppers, held out of the training data itself (no leakage from any
evaluation cutoff). `device`: "auto" (CUDA when present), "cpu" or "cuda";
on CUDA the forward pass runs under bf16 autocast. torch is imported only
here and in `sasrec.py`, so other models never pay for it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender
from .data import History, InteractionData

DAY = 86400.0


def gap_and_freq(items: np.ndarray, times: np.ndarray, *, gap_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-position inputs for one sequence: int64 (L,) gap bucket (0 = same basket,
    last bucket = first purchase, else 1 + log2 days since the previous purchase) and
    int64 (L,) times the item was bought before this position."""
    n = len(items)
    gaps = np.full(n, gap_buckets - 1, dtype=np.int64)
    if n > 1:
        dt = np.diff(times) / DAY
        b = 1 + np.floor(np.log2(1 + np.maximum(dt, 0))).astype(np.int64)
        gaps[1:] = np.where(dt == 0, 0, np.minimum(b, gap_buckets - 2))
    seen: dict[int, int] = {}
    freqs = np.empty(n, dtype=np.int64)
    for t, it in enumerate(items.tolist()):
        c = seen.get(it, 0)
        freqs[t] = c
        seen[it] = c + 1
    return gaps, freqs


def resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' asked for but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {name!r}")
    return name


class SASRec(Recommender):
    name: ClassVar[str] = "sasrec"
    defaults: ClassVar[dict[str, Any]] = {
        "max_len": 50, "repeat_context": 50, "dim": 64, "layers": 2, "heads": 2, "dropout": 0.2, "repeat_head": True,
        "gap_buckets": 16, "freq_buckets": 8, "repeat_decay": 0.85,
        "lr": 1e-3, "weight_decay": 0.0, "batch_size": 128, "epochs": 10, "patience": 2, "negatives": 256,
        "val_users": 500, "max_windows_per_user": 2, "seed": 0, "device": "auto",
    }
    _net_keys: ClassVar[tuple[str, ...]] = ("max_len", "dim", "layers", "heads", "dropout", "gap_buckets",
                                            "freq_buckets", "repeat_decay", "repeat_head")

    def __init__(self, **config: Any) -> None:
        super().__init__(**{**self.defaults, **config})
        self.net = None
        self.history_: list[dict[str, float]] = []  # per-epoch loss and validation NDCG@10

    # -- helpers ---------------------------------------------------------------
    def _build_net(self):
        from .sasrec import SASRecNet

        return SASRecNet(self.n_items, **{k: self.config[k] for k in self._net_keys})

    def _batch(self, seqs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], ends: Sequence[int], *,
               targets: bool, device: str):
        """Tensors for the windows that end before index e of each sequence: inputs are
        seq[e - L:e] (targets seq[e - L + 1:e + 1] when asked), repeat keys seq[e - K:e].
        seqs: (items, gaps, occurrences) per row. Returns items, gaps, freqs (B, L),
        keys, key_counts (B, K) and targets (B, L)."""
        import torch

        L = int(self.config["max_len"])
        K = L + int(self.config["repeat_context"])
        fb = int(self.config["freq_buckets"])
        b = len(seqs)
        arr = np.zeros((4, b, L), dtype=np.int64)
        keys = np.zeros((b, K), dtype=np.int64)
        key_counts = np.zeros((b, K), dtype=np.float32)
        for r, ((items, gaps, occ), e) in enumerate(zip(seqs, ends)):
            s = max(0, e - L)
            w = e - s
            arr[0, r, L - w:], arr[1, r, L - w:] = items[s:e], gaps[s:e]
            arr[2, r, L - w:] = np.minimum(occ[s:e], fb - 1)
            if targets:
                arr[3, r, L - w:] = items[s + 1:e + 1]
            ks = max(0, e - K)
            keys[r, K - (e - ks):] = items[ks:e]
            key_counts[r, K - (e - ks):] = occ[ks:e] + 1
        t = torch.from_numpy(arr).to(device)
        return t[0], t[1], t[2], torch.from_numpy(keys).to(device), torch.from_numpy(key_counts).to(device), t[3]

    def _encode(self, h: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g, f = gap_and_freq(h.items, h.times, gap_buckets=int(self.config["gap_buckets"]))
        return h.items.astype(np.int64), g, f

    def _autocast(self, device: str):
        import contextlib

        import torch

        return torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else contextlib.nullcontext()

    # -- training --------------------------------------------------------------
    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "SASRec":
        import torch
        from tqdm.auto import tqdm

        cfg = self.config
        seed, L = int(cfg["seed"]), int(cfg["max_len"])
        device = resolve_device(str(cfg["device"]))
        self.config["device_used"] = device
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.n_items = data.n_items
        hists = data.histories()

        # validation: the last basket of some shoppers, carved out of the training data
        multi = [u for u, h in enumerate(hists) if len(h) and h.times[0] != h.times[-1]]
        val_users = rng.choice(multi, size=min(int(cfg["val_users"]), len(multi)), replace=False) if multi else []
        val_set = set(int(u) for u in val_users)
        seqs, val_hists, val_targets = [], [], []
        for u, h in enumerate(hists):
            if u in val_set:
                keep = h.times < h.times[-1]
                val_targets.append(set(h.items[~keep].tolist()))
                h = History(h.items[keep], h.times[keep], None)
                val_hists.append(h)
            if len(h) >= 2:
                seqs.append(self._encode(h))
        # windows of up to max_len next-item predictions, the most recent first
        windows = []
        max_w = cfg["max_windows_per_user"]
        for r, (items, _, _) in enumerate(seqs):
            e, k = len(items) - 1, 0
            while e > 0 and (max_w is None or k < int(max_w)):
                windows.append((r, e))
                e, k = e - L, k + 1
        windows = np.array(windows, dtype=np.int64)

        self.net = self._build_net().to(device)
        opt = torch.optim.Adam(self.net.parameters(), lr=float(cfg["lr"]), weight_decay=float(cfg["weight_decay"]))
        bs, best, best_state, bad = int(cfg["batch_size"]), -1.0, None, 0
        epochs = int(cfg["epochs"])
        n_neg = int(cfg["negatives"] or 0)
        # negatives are drawn like the targets (popularity ** 0.75, as word2vec), with logQ correction
        q = np.bincount(data.item, minlength=self.n_items + 1).astype(np.float64) ** 0.75 + 1e-3
        q[0] = 0.0
        q /= q.sum()
        n_neg = min(n_neg, int((q > 0).sum()) - 1)
        log_q_t = torch.from_numpy(np.log(np.maximum(q * n_neg, 1e-12))).float().to(device)
        self.history_ = []
        for epoch in range(1, epochs + 1):
            self.net.train()
            order = rng.permutation(len(windows))
            total, count = 0.0, 0
            bar = tqdm(range(0, len(order), bs), desc=f"sasrec epoch {epoch}/{epochs}", leave=False, disable=None)
            for a in bar:
                w = windows[order[a:a + bs]]
                items, gaps, freqs, keys, kc, tgt = self._batch([seqs[r] for r in w[:, 0]], w[:, 1],
                                                                targets=True, device=device)
                real = tgt != 0  # only positions with a next item cost anything
                with self._autocast(device):
                    hidden = self.net(items, gaps, freqs)
                    values = self.net.repeat_values(hidden, keys, kc)
                    k_rows = keys[:, None, :].expand(-1, items.shape[1], -1)
                    if n_neg and n_neg < self.n_items:
                        negs = torch.from_numpy(rng.choice(self.n_items + 1, n_neg, replace=False, p=q)).to(device)
                        logits = self.net.sampled_logits(hidden[real], k_rows[real], values[real], tgt[real],
                                                         negs, log_q_t)
                        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=device)
                    else:  # full softmax over the catalog
                        logits = self.net.logits(hidden[real], k_rows[real], values[real])
                        labels = tgt[real]
                loss = torch.nn.functional.cross_entropy(logits.float(), labels)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total, count = total + loss.item() * len(w), count + len(w)
            ndcg = self._validate(val_hists, val_targets) if val_hists else float("nan")
            self.history_.append({"epoch": epoch, "loss": total / max(count, 1), "val_ndcg10": ndcg})
            if progress:
                progress("sasrec epoch", epoch, epochs)
            if not val_hists or ndcg > best:
                best, bad = ndcg, 0
                best_state = copy.deepcopy(self.net.state_dict())
            else:
                bad += 1
                if bad >= int(cfg["patience"]):
                    break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()
        self.config["best_val_ndcg10"] = None if math.isnan(best) else round(best, 5)
        self.config["epochs_run"] = len(self.history_)
        return self

    def _validate(self, hists: list[History], targets: list[set[int]], k: int = 10) -> float:
        scores = self.score(hists)
        vals = []
        for row, t in zip(scores, targets):
            top = np.argpartition(-row, k)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            dcg = sum(1 / np.log2(i + 2) for i, it in enumerate(top) if int(it) in t)
            vals.append(dcg / sum(1 / np.log2(i + 2) for i in range(min(k, len(t)))))
        return float(np.mean(vals))

    # -- scoring ---------------------------------------------------------------
    def score(self, histories: Sequence[History], *, now: float | None = None, batch_size: int = 64) -> np.ndarray:
        import torch

        out = np.zeros((len(histories), self.n_items + 1), dtype=np.float32)
        if self.net is None:
            raise RuntimeError("SASRec is not fitted")
        device = next(self.net.parameters()).device.type
        self.net.eval()
        for a in range(0, len(histories), batch_size):
            chunk = histories[a:a + batch_size]
            idx = [i for i, h in enumerate(chunk) if len(h)]
            if not idx:
                continue
            seqs = [self._encode(chunk[i]) for i in idx]
            items, gaps, freqs, keys, kc, _ = self._batch(seqs, [len(s[0]) for s in seqs], targets=False,
                                                          device=device)
            with torch.inference_mode(), self._autocast(device):
                hidden = self.net(items, gaps, freqs)[:, -1:]
                values = self.net.repeat_values(hidden, keys, kc)[:, -1]
                logits = self.net.logits(hidden[:, -1], keys, values)
            out[[a + i for i in idx]] = logits.float().cpu().numpy()
        # empty histories: the learned bias of the empty context is not meaningful; use item norms as a prior
        empty = [a for a, h in enumerate(histories) if not len(h)]
        if empty:
            with torch.inference_mode():
                prior = self.net.item_emb.weight.float().norm(dim=1).cpu().numpy()
            out[empty] = prior
        out[:, 0] = -np.inf
        return out

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Nearest items by cosine of the learned item embeddings."""
        import torch

        from .base import top_k

        with torch.inference_mode():
            e = torch.nn.functional.normalize(self.net.item_emb.weight.float(), dim=1)
            s = (e @ e[item]).cpu().numpy().astype(np.float64)
        return top_k(s, k, exclude=np.array([item]))

    # -- persistence -----------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {"epoch_val_ndcg10": np.array([h["val_ndcg10"] for h in self.history_], dtype=np.float64)}

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        self.history_ = [{"epoch": i + 1, "val_ndcg10": float(v)} for i, v in enumerate(arrays["epoch_val_ndcg10"])]

    def save(self, path: str | Path) -> Path:
        import torch

        path = super().save(path)
        torch.save({k: v.detach().cpu() for k, v in self.net.state_dict().items()}, path / "weights.pt")
        return path

    def _after_load(self, path: Path) -> None:
        import torch

        self.net = self._build_net()
        self.net.load_state_dict(torch.load(path / "weights.pt", map_location="cpu", weights_only=True))
        self.net.eval()
