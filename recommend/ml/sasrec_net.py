"""SASRec-style self-attentive sequential model (Kang & McAuley, ICDM 2018), one basket per step.

Tensor in, tensor out: no device choice, no numpy, no data handling here (the
`SASRec` recommender in `sasrec.py` does that). Shapes: B batch, L steps (left-padded:
the most recent basket is at step L - 1), T items of all baskets of the batch
flattened, D model width, N = n_items + 1 (item index 0 = padding), K repeat keys,
M selected steps, R targets.

A batch is a mapping of tensors (as RecBole's interaction): "flat" (T,), "offsets"
(B * L,), "gaps" and "sizes" (B, L), "keys" (B, K), "counts" and "decayed"
(B, L, K); for training also "tgt_rows" (R,) the step (an index into B * L) of each
target, "tgt_items" (R,), "tgt_weight" (R,) and "tgt_new" bool (R,): the target was
not bought before that step.

Why a basket is one step: every line of an invoice shares one timestamp, so the
order inside a basket is noise (docs/evaluation.md, trap 1). A step is the mean of
its items' embeddings plus a learned position, the bucketed gap since the
previous basket and the basket's size bucket; causal self-attention runs over
steps, and step t predicts every item of basket t + 1 (a multinomial
likelihood over the full catalog). On data without ties (one item per
timestamp, as MovieLens mostly is) a step is one item and this is plain SASRec
trained with full cross-entropy (the "SASRec+" / gSASRec finding that this beats
one sampled negative with BCE).

What it adds for a re-purchase store (after SAFERec, 2024, which feeds item
frequencies to SASRec): the logits of items bought up to step t get a repeat
term, a learned gated mix (gate from the hidden state) of log(1 + baskets with
the item so far) and a step-decayed recency, computed over the K most recent
distinct items and scattered into the logits, never as a dense (B, L, N)
tensor. Everything at step t depends only on steps <= t (tests check it).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    """Pre-norm Transformer block with causal self-attention."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)
        self.attn_dropout = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, L, D); mask: bool (B, 1, L, L), True = may attend. Returns (B, L, D)."""
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.attn_dropout if self.training else 0.0
        )
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop(self.ff(self.norm2(x)))


class SASRecNet(nn.Module):
    def __init__(
        self,
        n_items: int,
        *,
        max_len: int = 50,
        dim: int = 64,
        layers: int = 2,
        heads: int = 2,
        dropout: float = 0.2,
        gap_buckets: int = 16,
        size_buckets: int = 8,
        repeat_head: bool = True,
        tie_weights: bool = True,
    ) -> None:
        super().__init__()
        self.n_items = n_items
        self.max_len = max_len
        self.item_emb = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.pos_emb = nn.Embedding(max_len, dim)
        self.gap_emb = nn.Embedding(gap_buckets, dim, padding_idx=0)
        self.size_emb = nn.Embedding(size_buckets, dim, padding_idx=0)
        self.emb_drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.repeat_head = repeat_head
        self.repeat_gate = nn.Linear(dim, 2)
        # tied: the output layer is the input item embedding (SASRec); untied: its own table and a bias
        self.out_emb = None if tie_weights else nn.Embedding(n_items + 1, dim)
        self.out_bias = None if tie_weights else nn.Parameter(torch.zeros(n_items + 1))
        if self.out_emb is not None:
            nn.init.normal_(self.out_emb.weight, std=0.02)
        # every input embedding starts at the same small scale: side inputs at nn.Embedding's
        # default N(0, 1) would drown the items' mean (the model then only learns popularity)
        for emb in (self.item_emb, self.pos_emb, self.gap_emb, self.size_emb):
            nn.init.normal_(emb.weight, std=0.02)
        with torch.no_grad():
            for emb in (self.item_emb, self.gap_emb, self.size_emb):
                emb.weight[0].zero_()

    def forward(
        self, flat_items: torch.Tensor, offsets: torch.Tensor, gaps: torch.Tensor, sizes: torch.Tensor
    ) -> torch.Tensor:
        """flat_items: long (T,) the items of every step, step after step (row-major over
        (B, L)); offsets: long (B * L,) where each step's items start in flat_items (a
        padding step has none); gaps, sizes: long (B, L) buckets, 0 = padding step.
        L may be shorter than max_len (a batch of short histories): the last step is
        always the last learned position. Returns hidden states (B, L, D); step t
        sees steps <= t only."""
        b, n = gaps.shape
        bags = F.embedding_bag(flat_items, self.item_emb.weight, offsets, mode="mean", padding_idx=0)
        real = gaps != 0
        pos = torch.arange(self.max_len - n, self.max_len, device=gaps.device)
        x = (
            bags.view(b, n, -1) * self.item_emb.embedding_dim**0.5
            + self.pos_emb(pos)[None]
            + self.gap_emb(gaps)
            + self.size_emb(sizes)
        )
        x = self.emb_drop(x) * real.unsqueeze(-1)
        causal = torch.ones(n, n, dtype=torch.bool, device=gaps.device).tril()
        # a step may attend to earlier real steps, and always to itself (so padded rows never see nothing)
        mask = (causal[None] & real[:, None, :]) | torch.eye(n, dtype=torch.bool, device=gaps.device)[None]
        for block in self.blocks:
            x = block(x, mask[:, None])
        return self.norm(x)

    def repeat_values(self, hidden: torch.Tensor, counts: torch.Tensor, decayed: torch.Tensor) -> torch.Tensor:
        """hidden: (M, D); counts, decayed: float (M, K) baskets with each repeat key so far
        and its step-decayed recency, 0 where the key was not bought yet.
        Returns (M, K): the repeat term of each key, 0 where counts is 0."""
        gate = F.softplus(self.repeat_gate(hidden)).to(counts.dtype)  # (M, 2)
        return (gate[:, :1] * torch.log1p(counts) + gate[:, 1:] * decayed) * (counts > 0)

    def logits(
        self, hidden: torch.Tensor, keys: torch.Tensor | None = None, values: torch.Tensor | None = None
    ) -> torch.Tensor:
        """hidden: (M, D); keys: long (M, K) item index of each repeat key (0 = none);
        values: (M, K) from repeat_values. Returns next-basket logits (M, N); column 0
        (padding) is -inf."""
        if self.out_emb is None:
            out = hidden @ self.item_emb.weight.T
        else:
            out = hidden @ self.out_emb.weight.T + self.out_bias
        if self.repeat_head and keys is not None:
            out = out.scatter_add(1, keys, (values * (keys != 0)).to(out.dtype))
        out[:, 0] = float("-inf")
        return out

    def step_logits(self, batch: Mapping[str, torch.Tensor], rows: torch.Tensor, *, discovery: bool = False):
        """Next-basket logits (M, N) of the given steps (rows: long (M,) indices into B * L);
        with discovery, also the dot-product logits alone (M, N) with the items bought so
        far at -inf (what ranks the items new to the shopper)."""
        b, n = batch["gaps"].shape
        hidden = self(batch["flat"], batch["offsets"], batch["gaps"], batch["sizes"]).reshape(b * n, -1)
        hidden = hidden[rows]
        counts = batch["counts"].reshape(b * n, -1)[rows]
        decayed = batch["decayed"].reshape(b * n, -1)[rows]
        keys = batch["keys"][rows // n]
        logits = self.logits(hidden, keys, self.repeat_values(hidden, counts, decayed))
        if not discovery:
            return logits
        bought = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device).scatter_(1, keys, counts > 0)
        return logits, self.logits(hidden).masked_fill(bought, float("-inf"))

    def calculate_loss(
        self, batch: Mapping[str, torch.Tensor], *, discovery_weight: float = 1.0
    ) -> tuple[torch.Tensor, int]:
        """The training loss of a batch with targets, and the number of steps it predicts.

        Multinomial likelihood of the next basket over the full catalog: each step
        weighs 1, split over its targets (tgt_weight); plus, with discovery_weight > 0,
        that weight times the likelihood of the step's new items among the items not
        bought yet, on the dot product alone. Returns (scalar loss, steps)."""
        rows, inverse = torch.unique(batch["tgt_rows"], return_inverse=True)
        logits, dot = self.step_logits(batch, rows, discovery=True)
        logp = torch.log_softmax(logits.float(), dim=1)
        loss = -(logp[inverse, batch["tgt_items"]] * batch["tgt_weight"]).sum() / len(rows)
        if discovery_weight > 0:
            new = batch["tgt_new"]
            if bool(new.any()):
                r_new, i_new = inverse[new], batch["tgt_items"][new]
                per_row = torch.zeros(len(rows), device=r_new.device).index_add_(
                    0, r_new, torch.ones_like(r_new, dtype=torch.float32)
                )
                logp_new = torch.log_softmax(dot.float(), dim=1)
                loss = loss + discovery_weight * -(logp_new[r_new, i_new] / per_row[r_new]).sum() / (per_row > 0).sum()
        return loss, len(rows)
