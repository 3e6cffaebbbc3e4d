"""checkout 0004/0005: a coupon's old segment code becomes a profiles.Segment
whose rule selects the same RFM segment, so it keeps exactly its customers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("checkout", "0003_order_original_time_line_returned"), ("profiles", "0005_segments_exposure")]
AFTER = [("checkout", "0005_coupon_segment_fk_rename")]


@pytest.mark.slow  # migrates the test database back and forth
@pytest.mark.django_db(transaction=True)
def test_old_segment_codes_become_segments_with_the_same_rule():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Coupon = old.get_model("checkout", "Coupon")
    Coupon.objects.create(code="VIP", kind="percentage", value=10, segment="champions")
    Coupon.objects.create(code="VIP2", kind="fixed", value=5, segment="champions")
    Coupon.objects.create(code="ALL", kind="fixed", value=5, segment="")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Coupon, Segment = new.get_model("checkout", "Coupon"), new.get_model("profiles", "Segment")
    segment = Segment.objects.get()
    assert segment.name == "RFM: Champions"
    assert segment.rule == {"match": "all", "conditions": [{"field": "segment", "op": "eq", "value": "champions"}]}
    assert {c.code: c.segment_id for c in Coupon.objects.all()} == {"VIP": segment.pk, "VIP2": segment.pk, "ALL": None}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
