from django.db import migrations


class Migration(migrations.Migration):

    # After the daily run's agenda holds every due day (tracking 0005).
    dependencies = [
        ('engagements', '0012_engagement_company_id_index'),
        ('tracking', '0005_progress_due'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='engagement',
            name='eng_progress_due',
        ),
    ]
