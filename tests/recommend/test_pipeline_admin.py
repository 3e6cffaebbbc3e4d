"""The admin pages of model versions, as a staff user sees them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from recommend import services
from recommend.models import ModelVersion

from .pipeline_models import NAME

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tinypop")]


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-123456")
    client.force_login(user)
    return client


def train(**kwargs):
    return services.model_version_train(models=[NAME], device="cpu", **kwargs)[0]


def test_the_versions_list_and_history_pages_load(store, artifacts, staff_client):
    v1 = train()
    v2 = train(config={NAME: {"sign": -1}})
    page = staff_client.get(reverse("admin:recommend_modelversion_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Retrain now" in html and v1.version in html and v2.version in html
    history = staff_client.get(reverse("admin:recommend_modelversion_history"))
    html = history.content.decode()
    assert history.status_code == 200
    assert '<img src="data:image/png;base64,' in html  # the metrics chart
    assert f"Roll back {NAME}" in html and "not promoted: regression" in html
    detail = staff_client.get(reverse("admin:recommend_modelversion_change", args=[v1.pk]))
    assert detail.status_code == 200 and v1.version in detail.content.decode()


def test_retrain_now_queues_a_task_on_commit(store, artifacts, staff_client, django_capture_on_commit_callbacks):
    url = reverse("admin:recommend_modelversion_retrain")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(url, {"models": [NAME], "device": "cpu"})
    assert response.status_code == 302
    assert len(callbacks) == 1 and not ModelVersion.objects.exists()  # queued, not run inside the request
    callbacks[0]()  # the commit happens: the (eager, in tests) task trains
    v = ModelVersion.objects.get()
    assert (v.name, v.status) == (NAME, "active")
    messages = [
        str(m) for m in staff_client.get(reverse("admin:recommend_modelversion_changelist")).context["messages"]
    ]
    assert any("queued" in m for m in messages)


def test_retrain_now_rejects_an_unknown_model(store, artifacts, staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        staff_client.post(reverse("admin:recommend_modelversion_retrain"), {"models": ["nope"]})
    assert callbacks == [] and not ModelVersion.objects.exists()


def test_the_rollback_button_serves_the_previous_version(store, artifacts, staff_client):
    v1 = train()
    v2 = train(force=True)
    response = staff_client.post(reverse("admin:recommend_modelversion_rollback", args=[NAME]))
    assert response.status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("active", "retired")


def test_the_activate_action_forces_a_version(store, artifacts, staff_client):
    train()
    worse = train(config={NAME: {"sign": -1}})
    assert worse.status == "ready"
    staff_client.post(
        reverse("admin:recommend_modelversion_changelist"),
        {"action": "activate_selected", "_selected_action": [worse.pk]},
    )
    worse.refresh_from_db()
    assert worse.status == "active"


def test_a_view_only_staff_user_cannot_retrain(store, artifacts, client, django_capture_on_commit_callbacks):
    user = get_user_model().objects.create_user("viewer", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(user)
    assert client.get(reverse("admin:recommend_modelversion_changelist")).status_code == 200
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("admin:recommend_modelversion_retrain"), {"models": [NAME]})
    assert callbacks == [] and not ModelVersion.objects.exists()
