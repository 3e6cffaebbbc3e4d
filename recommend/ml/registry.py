"""The one map from model name to class. Add a line when you add a model."""

from __future__ import annotations

from .base import Recommender
from .content import EmbeddingContent, TfidfContent
from .ease import EASE
from .hybrid import Hybrid
from .implicit_adapter import ALS, BPR
from .knn import BasketCooccurrence, ItemKNN
from .popularity import Popularity, RecentPopularity
from .repeat import RepeatPurchase
from .sasrec import SASRec
from .tifu import TIFUKNN

MODELS: dict[str, type[Recommender]] = {
    Popularity.name: Popularity,
    RecentPopularity.name: RecentPopularity,
    RepeatPurchase.name: RepeatPurchase,
    ItemKNN.name: ItemKNN,
    BasketCooccurrence.name: BasketCooccurrence,
    EASE.name: EASE,
    ALS.name: ALS,
    BPR.name: BPR,
    TIFUKNN.name: TIFUKNN,
    TfidfContent.name: TfidfContent,
    EmbeddingContent.name: EmbeddingContent,
    SASRec.name: SASRec,
    Hybrid.name: Hybrid,
}

# the reference models every evaluation run includes
BASELINES: tuple[str, ...] = ("pop", "pop_recent", "repeat", "itemknn", "ease", "als", "bpr")


def get_model_class(name: str) -> type[Recommender]:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None
