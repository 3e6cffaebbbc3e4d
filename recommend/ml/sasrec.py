"""The `SASRec` recommender: data preparation, training loop, scoring, persistence.

A shopper's history becomes a sequence of baskets (interactions that share a
timestamp; their order inside the basket is never used). Each basket is one
step of the Transformer `SASRecNet` in `sasrec_net.py`; step t learns to predict every item of
basket t + 1 with a multinomial likelihood over the whole catalog (full
softmax cross-entropy: the catalog is a few thousand items, and the gSASRec
and "SASRec+" papers show the full softmax far better than one negative with
BCE). Sequences longer than `max_len` baskets are cut into windows, the most
recent first (`max_windows_per_user`). Adam, seeded.

Early stopping watches the last basket of `val_users` shoppers, held out of the
training data itself (no leakage from any evaluation cutoff), scored two ways:
NDCG@10 over every item of it, and over the items new to the shopper with the
ones bought before filtered out. By default (`stop_on`: "new") it stops on the
second, with a patience that outlasts the plateau before discovery takes off
("both" stops on the sum, "every" on the first): the repeat term learns in one
epoch while discovery takes many.

`device` (a constructor argument, not config: the caller resolves it): "cpu" or
"cuda"; on CUDA the forward pass runs under bf16 autocast. torch is imported only
inside the methods here and in `sasrec_net.py`, so other models never pay for it.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .base import Progress, Recommender, top_k
from .data import History, InteractionData

DAY = 86400.0


@dataclass(frozen=True)
class BasketSeq:
    """One shopper's baskets in time order: the distinct items of each, and per step
    the gap bucket (1 + log2 days since the previous basket; the last bucket for the
    first basket; 0 is padding) and size bucket (1 + log2 of the number of items)."""

    baskets: list[np.ndarray]
    gaps: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.baskets)

    @classmethod
    def from_history(cls, h: History, *, gap_buckets: int, size_buckets: int) -> "BasketSeq":
        if len(h) == 0:
            return cls([], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        cuts = np.flatnonzero(np.diff(h.times) != 0) + 1
        baskets = [np.unique(b) for b in np.split(h.items.astype(np.int64), cuts)]
        times = h.times[np.r_[0, cuts]]
        gaps = np.full(len(baskets), gap_buckets - 1, dtype=np.int64)
        if len(baskets) > 1:
            days = np.maximum(np.diff(times), 0) / DAY
            gaps[1:] = np.minimum(1 + np.floor(np.log2(1 + days)).astype(np.int64), gap_buckets - 2)
        sizes = np.minimum(1 + np.floor(np.log2([len(b) for b in baskets])).astype(np.int64), size_buckets - 1)
        return cls(baskets, gaps, sizes)


def repeat_features(
    seq: BasketSeq, start: int, end: int, *, n_keys: int, decay: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The repeat inputs of steps start..end-1 of one sequence.

    keys: int64 (n_keys,) the most recently bought distinct items of steps < end
    (0-padded); counts, decayed: float32 (end - start, n_keys): how many baskets up to
    and including each step held the key, and sum over those baskets of
    decay ** (steps ago). Both are 0 before the key was first bought."""
    keys = np.zeros(n_keys, dtype=np.int64)
    counts = np.zeros((end - start, n_keys), dtype=np.float32)
    decayed = np.zeros((end - start, n_keys), dtype=np.float32)
    if end <= 0:
        return keys, counts, decayed
    flat = np.concatenate(seq.baskets[:end])
    step = np.repeat(np.arange(end), [len(b) for b in seq.baskets[:end]])
    last = np.zeros(int(flat.max()) + 1, dtype=np.int64) - 1
    np.maximum.at(last, flat, step)
    distinct = np.flatnonzero(last >= 0)
    chosen = distinct[np.argsort(-last[distinct], kind="stable")[:n_keys]]
    keys[: len(chosen)] = chosen
    slot = np.full(len(last), -1, dtype=np.int64)
    slot[chosen] = np.arange(len(chosen))
    inc = np.zeros((end, n_keys), dtype=np.float32)
    s = slot[flat]
    inc[step[s >= 0], s[s >= 0]] = 1.0
    c = np.cumsum(inc, axis=0)
    d = np.empty_like(inc)
    acc = np.zeros(n_keys, dtype=np.float32)
    for j in range(end):
        acc = acc * decay + inc[j]
        d[j] = acc
    counts[:] = c[start:end]
    decayed[:] = d[start:end]
    return keys, counts, decayed


class _EarlyStopping:
    """Keeps the weights of the best epoch so far; says stop after `patience` epochs
    without a better score. Without validation (watch=False) every epoch is the best."""

    def __init__(self, *, patience: int, watch: bool) -> None:
        self.patience, self.watch = patience, watch
        self.best, self.best_epoch, self.bad = -1.0, 0, 0
        self.best_state: dict | None = None

    def stop(self, epoch: int, score: float, net) -> bool:
        if not self.watch or score > self.best:
            self.best, self.bad, self.best_epoch = score, 0, epoch
            self.best_state = copy.deepcopy(net.state_dict())
            return False
        self.bad += 1
        return self.bad >= self.patience


class SASRec(Recommender):
    name: ClassVar[str] = "sasrec"
    defaults: ClassVar[dict[str, Any]] = {
        "max_len": 50,
        "repeat_keys": 200,
        "dim": 64,
        "layers": 2,
        "heads": 2,
        "dropout": 0.2,
        "repeat_head": True,
        "tie_weights": True,
        "gap_buckets": 16,
        "size_buckets": 8,
        "repeat_decay": 0.85,
        # discovery takes off after a plateau of several epochs (popularity first): patience must outlast it
        "lr": 1e-3,
        "weight_decay": 0.0,
        "batch_size": 128,
        "epochs": 40,
        "patience": 8,
        "stop_on": "new",
        "item_dropout": 0.0,
        "completion_weight": 0.0,
        "discovery_weight": 1.0,
        "val_users": 500,
        "max_windows_per_user": 4,
        "seed": 0,
        # None: early stopping on held-out baskets, then the best epoch is kept here, so that a
        # refit on more data (the pipeline's serving fit) trains that many epochs on everything
        "train_epochs": None,
    }
    _net_keys: ClassVar[tuple[str, ...]] = (
        "max_len",
        "dim",
        "layers",
        "heads",
        "dropout",
        "gap_buckets",
        "size_buckets",
        "repeat_head",
        "tie_weights",
    )

    runtime: ClassVar[tuple[str, ...]] = ("device",)

    def __init__(self, *, device: str = "cpu", **config: Any) -> None:
        if device not in ("cpu", "cuda"):
            raise ValueError(f"SASRec trains on a resolved device, cpu or cuda, not {device!r}")
        super().__init__(**config)
        self.device = device
        self.net = None
        self.history_: list[dict[str, float]] = []  # per epoch: loss, validation NDCG@10 (every / new), seconds

    # -- helpers ---------------------------------------------------------------
    def _build_net(self):
        from .sasrec_net import SASRecNet

        return SASRecNet(self.n_items, **{k: self.config[k] for k in self._net_keys})

    def _seq(self, h: History) -> BasketSeq:
        return BasketSeq.from_history(
            h, gap_buckets=int(self.config["gap_buckets"]), size_buckets=int(self.config["size_buckets"])
        )

    def _batch(
        self,
        seqs: Sequence[BasketSeq],
        ends: Sequence[int],
        *,
        targets: bool,
        device: str,
        rng: np.random.Generator | None = None,
    ) -> dict:
        """Tensors for windows of input steps [end - L, end) of each sequence, left-padded
        to L. With targets (training), each input basket loses each of its items with
        probability `item_dropout` (at least one stays), and step j's targets are
        basket j + 1 (weight 1, split over its items) and the items dropped from basket
        j itself (weight `completion_weight`, split likewise): tgt_rows (R,) index into
        the (B * L) steps, tgt_items (R,), tgt_weight (R,). Dropped items do not count
        as bought in the repeat inputs."""
        import torch

        L, K = int(self.config["max_len"]), int(self.config["repeat_keys"])
        decay = float(self.config["repeat_decay"])
        p_drop = float(self.config["item_dropout"]) if targets else 0.0
        w_done = float(self.config["completion_weight"])
        if p_drop > 0:
            seqs, dropped = zip(*(self._drop_items(s, p_drop, rng) for s in seqs))
        b = len(seqs)
        L = max(1, max(e - max(0, e - L) for e in ends))  # no column that is padding in every row
        gaps = np.zeros((b, L), dtype=np.int64)
        sizes = np.zeros((b, L), dtype=np.int64)
        keys = np.zeros((b, K), dtype=np.int64)
        counts = np.zeros((b, L, K), dtype=np.float32)
        decayed = np.zeros((b, L, K), dtype=np.float32)
        bag_items, bag_lens = [], np.zeros(b * L, dtype=np.int64)
        t_rows, t_items, t_w, t_new = [], [], [], []
        for r, (seq, e) in enumerate(zip(seqs, ends)):
            s = max(0, e - L)
            w = e - s
            pad = L - w
            gaps[r, pad:], sizes[r, pad:] = seq.gaps[s:e], seq.sizes[s:e]
            if targets:  # items bought up to the current step (a target not among them is new)
                seen = np.zeros(self.n_items + 1, dtype=bool)
                for basket in seq.baskets[:s]:
                    seen[basket] = True
            for j in range(s, e):
                if targets:
                    seen[seq.baskets[j]] = True
                bag_items.append(seq.baskets[j])
                bag_lens[r * L + pad + j - s] = len(seq.baskets[j])
                if targets:
                    row = r * L + pad + j - s
                    if j + 1 < len(seq):
                        nxt = seq.baskets[j + 1] if p_drop <= 0 else np.union1d(seq.baskets[j + 1], dropped[r][j + 1])
                        t_rows.append(np.full(len(nxt), row))
                        t_items.append(nxt)
                        t_w.append(np.full(len(nxt), 1.0 / len(nxt), dtype=np.float32))
                        t_new.append(~seen[nxt])
                    if p_drop > 0 and w_done > 0 and len(dropped[r][j]):
                        gone = dropped[r][j]
                        t_rows.append(np.full(len(gone), row))
                        t_items.append(gone)
                        t_w.append(np.full(len(gone), w_done / len(gone), dtype=np.float32))
                        t_new.append(~seen[gone])
            keys[r], counts[r, pad:], decayed[r, pad:] = repeat_features(seq, s, e, n_keys=K, decay=decay)
        flat = np.concatenate(bag_items) if bag_items else np.zeros(0, dtype=np.int64)
        offsets = np.r_[0, np.cumsum(bag_lens)[:-1]]

        def t(a):
            return torch.from_numpy(np.ascontiguousarray(a)).to(device)

        out = {
            "flat": t(flat),
            "offsets": t(offsets),
            "gaps": t(gaps),
            "sizes": t(sizes),
            "keys": t(keys),
            "counts": t(counts),
            "decayed": t(decayed),
        }
        if targets:
            out.update(
                tgt_rows=t(np.concatenate(t_rows)),
                tgt_items=t(np.concatenate(t_items)),
                tgt_weight=t(np.concatenate(t_w)),
                tgt_new=t(np.concatenate(t_new)),
            )
        return out

    @staticmethod
    def _drop_items(seq: BasketSeq, p: float, rng: np.random.Generator) -> tuple[BasketSeq, list[np.ndarray]]:
        """The sequence with each basket's items dropped with probability p (one always
        stays), and the dropped items of each basket."""
        kept, gone = [], []
        for basket in seq.baskets:
            drop = rng.random(len(basket)) < p
            if drop.all():
                drop[rng.integers(len(basket))] = False
            kept.append(basket[~drop])
            gone.append(basket[drop])
        return BasketSeq(kept, seq.gaps, seq.sizes), gone

    def _autocast(self, device: str):
        import torch

        return torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else contextlib.nullcontext()

    # -- training --------------------------------------------------------------
    def fit(self, data: InteractionData, *, progress: Progress | None = None) -> "SASRec":
        import torch

        cfg = self.config
        seed = int(cfg["seed"])
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.n_items = data.n_items
        fixed = cfg.get("train_epochs")
        # with completion targets, a lone basket of several items still teaches something
        completion = float(cfg["item_dropout"]) > 0 and float(cfg["completion_weight"]) > 0
        train, val_hists, val_targets = self._hold_out(
            data, rng, n_val=0 if fixed else int(cfg["val_users"]), completion=completion
        )
        windows = self._windows(train, completion=completion)
        self.net = self._build_net().to(self.device)
        opt = torch.optim.Adam(self.net.parameters(), lr=float(cfg["lr"]), weight_decay=float(cfg["weight_decay"]))
        epochs = int(fixed or cfg["epochs"])
        stopping = _EarlyStopping(patience=int(cfg["patience"]), watch=bool(val_hists))
        self.history_ = []
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            loss = self._train_epoch(train, windows, opt, rng, desc=f"sasrec epoch {epoch}/{epochs}")
            every, new = self._validate(val_hists, val_targets) if val_hists else (float("nan"), float("nan"))
            self.history_.append(
                {
                    "epoch": epoch,
                    "loss": loss,
                    "val_ndcg10": every,
                    "val_new_ndcg10": new,
                    "seconds": time.perf_counter() - t0,
                }
            )
            if progress:
                progress("sasrec epoch", epoch, epochs)
            score = {"both": every + new, "new": new, "every": every}[str(cfg["stop_on"])]
            if stopping.stop(epoch, score, self.net):
                break
        if stopping.best_state is not None:
            self.net.load_state_dict(stopping.best_state)
        self.net.eval()
        self._remember_fit(stopping.best_epoch, fixed=bool(fixed))
        return self

    def _hold_out(
        self, data: InteractionData, rng: np.random.Generator, *, n_val: int, completion: bool
    ) -> tuple[list[BasketSeq], list[History], list[set[int]]]:
        """Validation: the last basket of up to n_val shoppers, carved out of the training
        data. Returns the training sequences (shoppers with a next basket to learn, or with
        completion a lone basket of several items), and the held-out histories and targets."""
        hists = data.histories()
        seqs = [self._seq(h) for h in hists]
        multi = [u for u, s in enumerate(seqs) if len(s) >= 2]
        n_val = min(n_val, len(multi))
        val_users = rng.choice(multi, size=n_val, replace=False) if multi else []
        val_set = {int(u) for u in val_users}
        val_hists, val_targets, train = [], [], []
        for u, (h, s) in enumerate(zip(hists, seqs)):
            if u in val_set:
                keep = h.times < h.times[-1]
                val_targets.append(set(h.items[~keep].tolist()))
                val_hists.append(History(h.items[keep], h.times[keep], None))
                s = BasketSeq(s.baskets[:-1], s.gaps[:-1], s.sizes[:-1])
            if len(s) >= 2 or (completion and len(s) == 1 and len(s.baskets[0]) > 1):
                train.append(s)
        return train, val_hists, val_targets

    def _windows(self, train: list[BasketSeq], *, completion: bool) -> np.ndarray:
        """int64 (W, 2): (sequence, end step) of windows of up to max_len next-basket
        predictions, the most recent first, at most max_windows_per_user per sequence."""
        L, max_w = int(self.config["max_len"]), self.config["max_windows_per_user"]
        windows = []
        for r, s in enumerate(train):
            e, k = len(s) - (0 if completion else 1), 0
            while e > 0 and (max_w is None or k < int(max_w)):
                windows.append((r, e))
                e, k = e - L, k + 1
        if not windows:
            raise ValueError("SASRec needs shoppers with at least two baskets")
        return np.array(windows, dtype=np.int64)

    def _train_epoch(
        self, train: list[BasketSeq], windows: np.ndarray, opt, rng: np.random.Generator, *, desc: str
    ) -> float:
        """One pass over the windows, in batches of windows of similar length (little
        padding) in a random order. Returns the mean loss per predicted step."""
        from tqdm.auto import tqdm

        self.net.train()
        bs, w_new = int(self.config["batch_size"]), float(self.config["discovery_weight"])
        widths = np.minimum(windows[:, 1], int(self.config["max_len"]))
        order = np.lexsort((rng.random(len(windows)), widths))
        chunks = [order[a : a + bs] for a in range(0, len(order), bs)]
        total, count = 0.0, 0
        for c in tqdm(rng.permutation(len(chunks)), desc=desc, leave=False, disable=None):
            w = windows[chunks[c]]
            batch = self._batch([train[r] for r in w[:, 0]], w[:, 1], targets=True, device=self.device, rng=rng)
            with self._autocast(self.device):
                loss, steps = self.net.calculate_loss(batch, discovery_weight=w_new)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total, count = total + loss.item() * steps, count + steps
        return total / max(count, 1)

    def _remember_fit(self, best_epoch: int, *, fixed: bool) -> None:
        """Write what the fit learned into config: the validation figures of the kept
        epoch, epochs run, seconds per epoch, and (when it stopped early) the best epoch
        count, so that a refit on more data trains that many epochs on everything."""
        at_best = self.history_[best_epoch - 1]
        for key in ("val_ndcg10", "val_new_ndcg10"):
            self.config[f"best_{key}"] = None if math.isnan(at_best[key]) else round(at_best[key], 5)
        self.config["best_epoch"] = best_epoch
        self.config["epochs_run"] = len(self.history_)
        if not fixed:
            self.config["train_epochs"] = best_epoch
        self.config["seconds_per_epoch"] = round(float(np.median([h["seconds"] for h in self.history_])), 3)

    def _validate(self, hists: list[History], targets: list[set[int]], k: int = 10) -> tuple[float, float]:
        """NDCG@k on the held-out baskets two ways: every item of the basket over the
        full ranking (what re-purchase rewards), and only the items new to the shopper
        with the ones bought before filtered out (what discovery rewards)."""
        scores = self.score(hists)
        disc = 1 / np.log2(np.arange(2, k + 2))

        def ndcg(row: np.ndarray, t: set[int]) -> float | None:
            if not t:
                return None
            top = np.argpartition(-row, k)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            return float(sum(disc[i] for i, it in enumerate(top) if int(it) in t) / disc[: min(k, len(t))].sum())

        every, new = [], []
        for row, h, t in zip(scores, hists, targets):
            every.append(ndcg(row, t))
            seen = np.unique(h.items)
            row = row.copy()
            row[seen] = -np.inf
            new.append(ndcg(row, t - set(seen.tolist())))
        every = [v for v in every if v is not None]
        new = [v for v in new if v is not None]
        return float(np.mean(every)) if every else 0.0, float(np.mean(new)) if new else 0.0

    # -- scoring ---------------------------------------------------------------
    def score(self, histories: Sequence[History], *, now: float | None = None, batch_size: int = 64) -> np.ndarray:
        import torch

        if self.net is None:
            raise RuntimeError("SASRec is not fitted")
        out = np.zeros((len(histories), self.n_items + 1), dtype=np.float32)
        device = next(self.net.parameters()).device.type
        self.net.eval()
        for a in range(0, len(histories), batch_size):
            chunk = histories[a : a + batch_size]
            idx = [i for i, h in enumerate(chunk) if len(h)]
            if not idx:
                continue
            seqs = [self._seq(chunk[i]) for i in idx]
            batch = self._batch(seqs, [len(s) for s in seqs], targets=False, device=device)
            width = batch["gaps"].shape[1]
            rows = torch.arange(len(idx), device=device) * width + (width - 1)  # each window's last step
            with torch.inference_mode(), self._autocast(device):
                logits = self.net.step_logits(batch, rows)
            out[[a + i for i in idx]] = logits.float().cpu().numpy()
        # empty histories: no step to attend from; item embedding norms serve as a popularity-like prior
        empty = [a for a, h in enumerate(histories) if not len(h)]
        if empty:
            with torch.inference_mode():
                out[empty] = self.net.item_emb.weight.float().norm(dim=1).cpu().numpy()
        out[:, 0] = -np.inf
        return out

    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Nearest items by cosine of the learned item embeddings."""
        import torch

        with torch.inference_mode():
            e = torch.nn.functional.normalize(self.net.item_emb.weight.float(), dim=1)
            s = (e @ e[item]).cpu().numpy().astype(np.float64)
        return top_k(s, k, exclude=np.array([item]))

    # -- persistence -----------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {
            f"epoch_{k}": np.array([h[k] for h in self.history_], dtype=np.float64)
            for k in ("loss", "val_ndcg10", "val_new_ndcg10", "seconds")
        }

    def _load_state(self, arrays: dict[str, np.ndarray]) -> None:
        keys = [k[6:] for k in arrays if k.startswith("epoch_")]
        n = len(arrays["epoch_val_ndcg10"])
        self.history_ = [{"epoch": i + 1, **{k: float(arrays[f"epoch_{k}"][i]) for k in keys}} for i in range(n)]

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
