"""Second half of 0004 (own migration, so that PostgreSQL commits the data
change before the column is dropped): the old CharField goes, the new foreign
key takes its name."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("checkout", "0004_coupon_segment_fk")]

    operations = [
        migrations.RemoveField(model_name="coupon", name="segment"),
        migrations.RenameField(model_name="coupon", old_name="segment_ref", new_name="segment"),
        migrations.AlterField(
            model_name="coupon",
            name="segment",
            field=models.ForeignKey(
                blank=True,
                help_text="Only customers of this segment (a rule over portraits) may use it; empty = everyone",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="coupons",
                to="profiles.segment",
            ),
        ),
    ]
