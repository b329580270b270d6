"""
Billing moves from engagements/ to reports/ (issue 13), keeping its data: reports takes over the
model's state on the existing table (no database change here), engagements lets go of it
(engagements 0005), then the table gets reports' name (0003).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('engagements', '0004_off_track_since_order_index'),
        ('reports', '0001_saved_views'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='BillingDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('whole_company', models.BooleanField()),
                        ('day', models.DateField()),
                        ('clients', models.PositiveIntegerField()),
                        ('coaches', models.PositiveIntegerField()),
                        ('company', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.company')),
                        ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.location')),
                    ],
                    options={
                        'db_table': 'engagements_billingday',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('whole_company', True)), fields=('company', 'day'), name='billingday_company_day'), models.UniqueConstraint(condition=models.Q(('location__isnull', False), ('whole_company', False)), fields=('company', 'location', 'day'), name='billingday_location_day'), models.UniqueConstraint(condition=models.Q(('location__isnull', True), ('whole_company', False)), fields=('company', 'day'), name='billingday_no_location_day'), models.CheckConstraint(condition=models.Q(('whole_company', False), ('location__isnull', True), _connector='OR'), name='billingday_company_has_no_location')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
