from django.db import migrations

# The Engagements page's search matches `full_name` and `email` with Django's `icontains`,
# which PostgreSQL runs as `UPPER(column::text) LIKE UPPER('%term%')`; trigram indexes on
# exactly those expressions answer it without reading every user. PostgreSQL only: SQLite
# (make run's default) searches without them.
INDEXES = {
    "user_full_name_trgm": "full_name",
    "user_email_trgm": "email",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
