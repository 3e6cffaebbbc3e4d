"""SASRec-style self-attentive sequential model (Kang & McAuley, ICDM 2018).

Tensor in, tensor out: no device choice, no numpy, no data handling here (the
trainer in `sasrec_trainer.py` does that). Shapes: B batch, L positions
(left-padded, item index 0 = padding), D model width, N = n_items + 1.

What it adds to plain SASRec for a re-purchase store (after SAFERec, 2024,
which feeds item frequencies to SASRec):
- each position carries, besides its item and its learned position, the
  bucketed time gap to the previous purchase (0 = same basket) and how often
  the shopper had bought that item before;
- the output adds a repeat term to the dot-product logits of the items among
  the last K purchases: a learned, per-position gated mix of log(1 + times
  bought so far, whole history) and a step-decayed recency, so the model can
  re-recommend without memorising. It is computed over the K recent keys and
  scattered into the logits, never as a dense (B, L, N) tensor.
Every input and every feature at position t depends only on positions <= t,
so the model stays causal (tests check it).
"""

from __future__ import annotations

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
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.attn_dropout if self.training else 0.0)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop(self.ff(self.norm2(x)))


class SASRecNet(nn.Module):
    def __init__(self, n_items: int, *, max_len: int = 50, dim: int = 64, layers: int = 2, heads: int = 2,
                 dropout: float = 0.2, gap_buckets: int = 16, freq_buckets: int = 8, repeat_decay: float = 0.85,
                 repeat_head: bool = True) -> None:
        super().__init__()
        self.n_items = n_items
        self.item_emb = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.pos_emb = nn.Embedding(max_len, dim)
        self.gap_emb = nn.Embedding(gap_buckets, dim)
        self.freq_emb = nn.Embedding(freq_buckets, dim)
        self.emb_drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.repeat_head = repeat_head
        self.repeat_decay = repeat_decay
        self.repeat_gate = nn.Linear(dim, 2)
        nn.init.normal_(self.item_emb.weight, std=0.02)
        nn.init.normal_(self.pos_emb.weight, std=0.02)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()

    def forward(self, items: torch.Tensor, gaps: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
        """items, gaps, freqs: long (B, L), left-padded with 0. Returns hidden states (B, L, D);
        position t sees positions <= t only."""
        b, n = items.shape
        pos = torch.arange(n, device=items.device)
        x = (self.item_emb(items) * self.item_emb.embedding_dim ** 0.5 + self.pos_emb(pos)[None]
             + self.gap_emb(gaps) + self.freq_emb(freqs))
        x = self.emb_drop(x) * (items != 0).unsqueeze(-1)
        causal = torch.ones(n, n, dtype=torch.bool, device=items.device).tril()
        # a query may attend to earlier real items, and always to itself (so padded rows never see nothing)
        mask = (causal[None] & (items != 0)[:, None, :]) | torch.eye(n, dtype=torch.bool, device=items.device)[None]
        for block in self.blocks:
            x = block(x, mask[:, None])
        return self.norm(x)

    def repeat_values(self, hidden: torch.Tensor, keys: torch.Tensor, key_counts: torch.Tensor) -> torch.Tensor:
        """The repeat term of each recent item at each position.

        hidden: (B, L, D); keys: long (B, K), the last K >= L items (left-padded, aligned
        so that position t of the window is key K - L + t); key_counts: float (B, K), times
        the key's item had been bought up to and including that key (whole history).
        Returns float (B, L, K): for the first occurrence of each item among the keys, a
        gated mix of log(1 + times bought so far) and its step-decayed recency at position
        t; 0 for padding, repeated keys and items not yet bought at t."""
        b, k = keys.shape
        n = hidden.shape[1]
        real = keys != 0
        eq = (keys[:, :, None] == keys[:, None, :]) & real[:, :, None]  # (B, K, K): key k, position s
        steps = torch.arange(k, device=keys.device, dtype=torch.float64)
        g = self.repeat_decay
        counts = torch.cummax(eq.to(key_counts.dtype) * key_counts[:, None, :], dim=2).values  # (B, K, K)
        decayed = (eq.double() * g ** -steps).cumsum(dim=2) * g ** steps  # (B, K, K)
        first = ~(eq & torch.ones(k, k, dtype=torch.bool, device=keys.device).tril(-1)).any(dim=2)  # (B, K)
        q = slice(k - n, k)
        counts, decayed = counts[:, :, q].transpose(1, 2), decayed[:, :, q].transpose(1, 2).to(counts.dtype)
        mask = (first & real)[:, None, :] & (counts > 0)  # (B, L, K)
        gate = F.softplus(self.repeat_gate(hidden)).to(counts.dtype)  # (B, L, 2)
        return (gate[..., :1] * torch.log1p(counts) + gate[..., 1:] * decayed) * mask

    def logits(self, hidden: torch.Tensor, keys: torch.Tensor | None = None,
               values: torch.Tensor | None = None) -> torch.Tensor:
        """hidden: (M, D); keys: long (M, K); values: (M, K) from repeat_values.
        Returns next-item logits (M, N); column 0 (padding) is -inf."""
        out = hidden @ self.item_emb.weight.T
        if self.repeat_head and keys is not None:
            out = out.scatter_add(1, keys, values.to(out.dtype))
        out[:, 0] = float("-inf")
        return out

    def sampled_logits(self, hidden: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                       targets: torch.Tensor, negatives: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        """Logits of each row's target and of shared sampled negatives (sampled softmax).

        hidden: (M, D); keys, values: (M, K); targets: long (M,); negatives: long (S,) unique;
        log_q: float (N,) log sampling probability of every item, subtracted from each logit
        (logQ correction, so popular items are not over-penalised).
        Returns (M, 1 + S): column 0 the target, then the negatives (a negative equal to the
        row's target is -inf)."""
        pos = (hidden * self.item_emb(targets)).sum(-1, keepdim=True)  # (M, 1)
        neg = hidden @ self.item_emb(negatives).T  # (M, S)
        if self.repeat_head:
            pos = pos + (values * (keys == targets[:, None])).sum(-1, keepdim=True).to(pos.dtype)
            s = negatives.shape[0]
            slot = torch.full((self.n_items + 1,), s, dtype=torch.long, device=keys.device)
            slot[negatives] = torch.arange(s, device=keys.device)
            extra = torch.zeros(hidden.shape[0], s + 1, dtype=neg.dtype, device=neg.device)
            neg = neg + extra.scatter_add(1, slot[keys], values.to(neg.dtype))[:, :s]
        pos = pos - log_q[targets][:, None].to(pos.dtype)
        neg = neg - log_q[negatives][None, :].to(neg.dtype)
        neg = neg.masked_fill(negatives[None, :] == targets[:, None], float("-inf"))
        return torch.cat([pos, neg], dim=1)
