"""Small helpers for the project's raw SQL (PostgreSQL)."""


def pg_array(values):
    """
    A PostgreSQL array literal of integers or dates (None as NULL), to bind as one string and
    cast in the statement (`CAST(%(ids)s AS bigint[])`). Django binds parameters on the
    client, and psycopg quotes a Python list element by element in Python: for the daily run's
    5,000 companies that cost more than its statement. The values are ints and dates, whose
    str() PostgreSQL reads back exactly; nothing else may be passed.
    """
    values = list(values)
    if None in values:
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    return "{" + ",".join(map(str, values)) + "}"


def rowcount(cursor):
    """
    The rows the cursor's last statement wrote. SQLite's driver says -1 for a statement that
    begins with WITH (the outbox's and the webhooks' INSERTs do), so there SQLite is asked.
    """
    if cursor.rowcount >= 0:
        return cursor.rowcount
    cursor.execute("SELECT changes()")
    return cursor.fetchone()[0]
