"""Coupon.segment was a CharField holding an RFM segment code ("champions");
it becomes a foreign key to profiles.Segment (a rule over portraits). Each old
code becomes a segment "RFM: <label>" whose rule is `segment eq <code>`, so
every coupon keeps exactly the customers it had."""

import django.db.models.deletion
from django.db import migrations, models

LABELS = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential": "Potential",
    "new": "New",
    "at_risk": "At risk",
    "hibernating": "Hibernating",
    "lost": "Lost",
}


def forwards(apps, schema_editor):
    Coupon = apps.get_model("checkout", "Coupon")
    Segment = apps.get_model("profiles", "Segment")
    for coupon in Coupon.objects.exclude(segment=""):
        code = coupon.segment.strip()
        segment, _ = Segment.objects.get_or_create(
            name=f"RFM: {LABELS.get(code, code)}",
            defaults={
                "description": "made from the coupon's former segment code",
                "rule": {"match": "all", "conditions": [{"field": "segment", "op": "eq", "value": code}]},
            },
        )
        coupon.segment_ref = segment
        coupon.save(update_fields=["segment_ref"])


def backwards(apps, schema_editor):
    Coupon = apps.get_model("checkout", "Coupon")
    for coupon in Coupon.objects.exclude(segment_ref=None).select_related("segment_ref"):
        conditions = coupon.segment_ref.rule.get("conditions", [])
        simple = len(conditions) == 1 and conditions[0]["field"] == "segment" and conditions[0]["op"] == "eq"
        if not simple:
            raise RuntimeError(f"coupon {coupon.code}: segment {coupon.segment_ref.name} is not one RFM segment")
        coupon.segment = conditions[0]["value"]
        coupon.save(update_fields=["segment"])


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0003_order_original_time_line_returned"),
        ("profiles", "0005_segments_exposure"),
    ]

    operations = [
        migrations.AddField(
            model_name="coupon",
            name="segment_ref",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="coupons",
                to="profiles.segment",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
