"""An operator retrains from the admin and sees the new version and its chart."""

import pytest
from django.contrib.auth import get_user_model

from recommend.ml.registry import MODELS
from tests.recommend.pipeline_models import NAME, TinyPop, make_store


@pytest.mark.django_db(transaction=True)
def test_operator_retrains_from_the_admin_and_sees_the_chart(page, screenshot, settings, tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, NAME, TinyPop)
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    make_store()
    get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-123456")
    page.goto("/admin/login/?next=/admin/recommend/modelversion/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pw-123456")
    page.click("input[type=submit]")
    page.select_option("select[name=models]", NAME)
    page.select_option("select[name=device]", "cpu")
    page.click("input[name=retrain]")  # queued on commit; Celery is eager in tests, so it trains now
    assert "queued" in page.locator("ul.messagelist li").first.inner_text()
    assert page.locator("#result_list").get_by_text("active").first.is_visible()
    screenshot("admin-model-versions")
    page.click("text=Metrics over time")
    assert page.locator("img[alt^='Validation NDCG@10']").is_visible()
    assert page.get_by_role("button", name=f"Roll back {NAME}").is_visible()
    screenshot("admin-model-versions-history")
