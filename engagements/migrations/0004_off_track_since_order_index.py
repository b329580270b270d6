from django.db import migrations

# The Engagements page sorted by "off track since", newest first (empty dates last), read
# from an index: `ORDER BY off_track_since DESC NULLS LAST, id DESC` (see
# EngagementTable._off_track_since_order_field). PostgreSQL only: SQLite cannot declare
# NULLS LAST in an index, and make run's small data set does not need it.
INDEX = "eng_off_track_since_desc"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON engagements_engagement "
            "(off_track_since DESC NULLS LAST, id DESC)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("engagements", "0003_billing_days")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
