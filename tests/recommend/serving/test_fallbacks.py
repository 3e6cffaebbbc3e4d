"""A page never fails because of a recommender: no active model, a corrupt
artifact, a model that raises, or the cache server down all fall back to
popularity, and each cause is logged once, not once per request."""

from __future__ import annotations

import shutil

import pytest

from recommend.ml.knn import ItemKNN

from .test_slots import login, slots_of


def warnings_about(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("recommend") and text in r.getMessage()]


@pytest.mark.django_db
def test_no_active_model_pages_render_popularity(client, bare_shop, caplog):
    customer = bare_shop["customers"][9]
    login(client, customer)
    for _ in range(3):
        response = client.get("/")
        assert response.status_code == 200
        slots = slots_of(response)
        assert slots["home_for_you"]["model"] == "popularity"
        assert slots["home_trending"]["model"] == "popularity"
        assert all(r == "Popular in the shop" for r in slots["home_trending"]["reasons"])
    best_seller = max((p for p in bare_shop["products"].values() if p.stock), key=lambda p: p.units_sold)
    assert slots["home_for_you"]["products"][0] == best_seller.pk  # the first slot gets the best-seller
    holder = bare_shop["products"]["WHITE HANGING HEART T-LIGHT HOLDER"]
    assert client.get(holder.get_absolute_url()).status_code == 200
    assert len(warnings_about(caplog, "no active pop_recent model")) == 1
    assert len(warnings_about(caplog, "no active itemknn model")) == 1


@pytest.mark.django_db
def test_corrupt_artifact_falls_back_and_is_logged_once(client, shop, settings, tmp_path, caplog):
    root = tmp_path / "artifacts"
    shutil.copytree(shop["artifacts"], root)
    settings.ARTIFACTS_DIR = root
    version = shop["versions"]["itemknn"]
    (root / "itemknn" / version / "arrays.npz").write_bytes(b"this is not a numpy archive" * 100)
    login(client, shop["customers"][9])
    for _ in range(3):
        response = client.get("/")
        assert response.status_code == 200
        slots = slots_of(response)
        assert slots["home_for_you"]["model"] == "popularity"  # itemknn was its last model
        assert slots["home_trending"]["model"] == "pop_recent"  # the other models still serve
    holder = shop["products"]["WHITE HANGING HEART T-LIGHT HOLDER"]
    response = client.get(holder.get_absolute_url())
    assert response.status_code == 200 and "product_similar" in slots_of(response)
    assert len(warnings_about(caplog, f"itemknn version {version} cannot be loaded")) == 1
    assert len([r for r in caplog.records if "cannot load itemknn" in r.getMessage()]) == 1


@pytest.mark.django_db
def test_a_model_that_raises_falls_back_and_is_logged_once(client, shop, monkeypatch, caplog):
    def broken(self, histories, *, now=None):
        raise FloatingPointError("the model broke")

    monkeypatch.setattr(ItemKNN, "score", broken)
    login(client, shop["customers"][9])
    for _ in range(3):
        response = client.get("/")
        assert response.status_code == 200
        assert slots_of(response)["home_for_you"]["model"] == "popularity"
        client.get(shop["products"]["JUMBO BAG RED RETROSPOT"].get_absolute_url())  # new event: a cache miss
    raised = warnings_about(caplog, "itemknn version")
    assert len([m for m in raised if "raised in score" in m]) == 1


@pytest.mark.django_db
def test_cache_server_down_pages_still_render(client, shop, settings, caplog):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }  # nothing listens there
    login(client, shop["customers"][9])
    for _ in range(3):
        response = client.get("/")
        assert response.status_code == 200
        slots = slots_of(response)
        assert slots["home_for_you"]["model"] == "itemknn" and slots["home_for_you"]["products"]
    outage = [r for r in caplog.records if r.name == "core.cache" and "unavailable" in r.getMessage()]
    assert len(outage) == 1  # one warning for the outage, not one per slot or page
