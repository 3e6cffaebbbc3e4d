"""Interaction data sets with integer indices inside and real ids at the edge.

Users are indexed 0..n_users-1. Items are indexed 1..n_items: index 0 is
padding (sequence models need it), so every item-sized array or matrix has
n_items + 1 columns and column 0 is never a real item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class History:
    """What one shopper did, in time order.

    items: int64 (L,) item indices (1..n_items).
    times: float64 (L,) Unix seconds, non-decreasing. Interactions that share a
        time form one basket; their order inside the basket carries no meaning
        (the builder shuffles ties with a seed, never orders them by id).
    quantities: float32 (L,) units per interaction, or None (all 1).
    """

    items: np.ndarray
    times: np.ndarray
    quantities: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.items) != len(self.times):
            raise ValueError("items and times must have the same length")

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def empty(cls) -> "History":
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), None)

    @classmethod
    def from_lists(
        cls, items: Sequence[int], times: Sequence[float] | None = None, quantities: Sequence[float] | None = None
    ) -> "History":
        items_arr = np.asarray(items, dtype=np.int64)
        times_arr = (
            np.arange(len(items_arr), dtype=np.float64) if times is None else np.asarray(times, dtype=np.float64)
        )
        q = None if quantities is None else np.asarray(quantities, dtype=np.float32)
        return cls(items_arr, times_arr, q)

    @property
    def qty(self) -> np.ndarray:
        return np.ones(len(self.items), dtype=np.float32) if self.quantities is None else self.quantities

    def baskets(self) -> list[np.ndarray]:
        """Item indices grouped by shared timestamp, in time order."""
        if len(self.items) == 0:
            return []
        cuts = np.flatnonzero(np.diff(self.times) != 0) + 1
        return np.split(self.items, cuts)

    def before(self, t: float) -> "History":
        """The part of the history strictly before time t."""
        mask = self.times < t
        q = None if self.quantities is None else self.quantities[mask]
        return History(self.items[mask], self.times[mask], q)


@dataclass
class ItemFeatures:
    """Side information by item index (arrays of length n_items + 1, row 0 padding)."""

    titles: np.ndarray  # object (str)
    categories: np.ndarray | None = None  # object (str) or None
    prices: np.ndarray | None = None  # float64
    descriptions: np.ndarray | None = None  # object (str)

    def text(self, idx: int) -> str:
        parts = [str(self.titles[idx] or "")]
        if self.categories is not None and self.categories[idx]:
            parts.append(str(self.categories[idx]))
        if self.descriptions is not None and self.descriptions[idx]:
            parts.append(str(self.descriptions[idx]))
        return ". ".join(p for p in parts if p)


@dataclass
class InteractionData:
    """A set of interactions with index maps.

    user, item: int64 (n,); time: float64 (n,) Unix seconds; quantity: float32 (n,).
    user_ids: (n_users,) external ids; item_ids: (n_items + 1,) external ids, [0] = "".
    Rows are sorted by (user, time) with ties shuffled by a seed.
    """

    user: np.ndarray
    item: np.ndarray
    time: np.ndarray
    quantity: np.ndarray
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_features: ItemFeatures | None = None
    _histories: list[History] | None = field(default=None, repr=False)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids) - 1

    @property
    def n_interactions(self) -> int:
        return len(self.user)

    @classmethod
    def from_arrays(
        cls,
        users: Sequence,
        items: Sequence,
        times: Sequence[float],
        quantities: Sequence[float] | None = None,
        *,
        item_ids: Sequence | None = None,
        user_ids: Sequence | None = None,
        item_features: ItemFeatures | None = None,
        seed: int = 0,
    ) -> "InteractionData":
        """Build from external ids. `item_ids`/`user_ids` fix the index order (for
        example the catalog order, so items never bought still get an index);
        otherwise ids are indexed in sorted order."""
        users = np.asarray(users)
        items = np.asarray(items)
        times_arr = np.asarray(times, dtype=np.float64)
        qty = np.ones(len(users), dtype=np.float32) if quantities is None else np.asarray(quantities, dtype=np.float32)
        uids = np.unique(users) if user_ids is None else np.asarray(user_ids)
        iids = np.unique(items) if item_ids is None else np.asarray(item_ids)
        u_index = {u: i for i, u in enumerate(uids.tolist())}
        i_index = {it: i + 1 for i, it in enumerate(iids.tolist())}
        try:
            u = np.fromiter((u_index[x] for x in users.tolist()), dtype=np.int64, count=len(users))
            it = np.fromiter((i_index[x] for x in items.tolist()), dtype=np.int64, count=len(items))
        except KeyError as exc:
            raise ValueError(f"id {exc.args[0]!r} is not in the given id list") from exc
        rng = np.random.default_rng(seed)
        tiebreak = rng.random(len(u))
        order = np.lexsort((tiebreak, times_arr, u))
        all_item_ids = np.empty(len(iids) + 1, dtype=object)
        all_item_ids[0] = ""
        all_item_ids[1:] = iids
        return cls(u[order], it[order], times_arr[order], qty[order], uids, all_item_ids, item_features)

    def subset(self, mask: np.ndarray) -> "InteractionData":
        """Same index maps, only the rows where mask is true."""
        return InteractionData(
            self.user[mask],
            self.item[mask],
            self.time[mask],
            self.quantity[mask],
            self.user_ids,
            self.item_ids,
            self.item_features,
        )

    def csr(self, weighting: str = "count") -> sp.csr_matrix:
        """User × item matrix, shape (n_users, n_items + 1), float32.

        weighting: "binary" (1 if ever), "count" (number of interactions) or
        "quantity" (units)."""
        if weighting == "quantity":
            vals = self.quantity.astype(np.float32)
        else:
            vals = np.ones(len(self.user), dtype=np.float32)
        m = sp.csr_matrix((vals, (self.user, self.item)), shape=(self.n_users, self.n_items + 1))
        m.sum_duplicates()
        if weighting == "binary":
            m.data[:] = 1.0
        return m

    def histories(self) -> list[History]:
        """One History per user index, in time order."""
        if self._histories is None:
            bounds = np.searchsorted(self.user, np.arange(self.n_users + 1))
            self._histories = [
                History(self.item[a:b], self.time[a:b], self.quantity[a:b]) for a, b in zip(bounds[:-1], bounds[1:])
            ]
        return self._histories

    def item_popularity(self) -> np.ndarray:
        """float64 (n_items + 1,) interaction counts per item."""
        return np.bincount(self.item, minlength=self.n_items + 1).astype(np.float64)
