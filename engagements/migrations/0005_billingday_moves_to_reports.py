"""Billing moved to reports/ (issue 13): the model leaves engagements' state, its table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0004_off_track_since_order_index'),
        ('reports', '0002_billingday_from_engagements'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='BillingDay')],
            database_operations=[],
        ),
    ]
