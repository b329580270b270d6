"""The moved billing table takes reports' name: a rename (ALTER TABLE ... RENAME), rows kept."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0005_billingday_moves_to_reports'),
        ('reports', '0002_billingday_from_engagements'),
    ]

    operations = [
        migrations.AlterModelTable(name='billingday', table=None),
    ]
