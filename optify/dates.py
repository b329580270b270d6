import datetime as dt


def as_date(value):
    """
    A date from a date or its ISO text ("2026-03-23"): what a task's JSON argument carries,
    and what SQLite hands back for a date computed in SQL. The one ISO-date parser.
    """
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
