"""The simulator, small: real shoppers of the trained test shop visit through
the real views; everything is rolled back; the report is written."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from marketing.models import Assignment, Experiment
from profiles.models import Event


@pytest.mark.django_db
def test_simulate_shoppers_runs_through_the_views_writes_the_report_and_leaves_nothing(shop, tmp_path):
    events_before = Event.objects.count()
    call_command(
        "simulate_shoppers",
        "--shoppers", "12", "--visits", "2", "--future-days", "30", "--treatment", "itemknn",
        "--aa-runs", "50", "--out", str(tmp_path),
    )  # fmt: skip
    report = (tmp_path / "simulation.md").read_text()
    assert "| control (control) |" in report and "| treatment (treatment) |" in report
    assert "Sample ratio check" in report and "A/A" in report
    assert "itemknn" in report and "popularity" in report  # both arms really served
    assert (tmp_path / "img" / "simulation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Event.objects.count() == events_before  # the future purchases are back, nothing simulated stays
    assert not Experiment.objects.exists() and not Assignment.objects.exists()
