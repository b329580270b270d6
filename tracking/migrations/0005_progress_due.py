# The daily run's agenda (tracking.ProgressDue), filled from every running engagement's due
# day; engagements' 0013 then drops the index on that day (eng_progress_due), so that moving
# it is a HOT update.

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO tracking_progressdue (day, company_id, engagement_id)
SELECT progress_due_on, company_id, id FROM engagements_engagement
WHERE status IN ('active', 'coach_matching') AND progress_due_on IS NOT NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_global_admins_index'),
        ('engagements', '0012_engagement_company_id_index'),
        ('tracking', '0004_paused'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProgressDue',
            fields=[
                ('pk', models.CompositePrimaryKey('day', 'company', 'engagement', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.DateField()),
                ('company', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.company')),
                ('engagement', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='engagements.engagement')),
            ],
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
