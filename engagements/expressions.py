from django.db.models import DateField, Func
from django.db.models.functions import Coalesce


class AddDays(Func):
    """
    `date + n days` as a date, on both databases: PostgreSQL adds an integer to a date
    natively; SQLite has no date type, so `date + n` there is arithmetic on a string.
    """

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)",
                              arg_joiner=" + ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection,
                              template="date(%(expressions)s || ' days')",
                              arg_joiner=", '+' || ", **extra)


def projected_off_track_on():
    """
    The day an on-track engagement goes off track if nothing else happens. Nothing
    scheduled: the stored day, counted past pauses. Else the threshold after the next
    scheduled event (whatever pauses may come). Only meaningful for on-track rows whose
    progress the viewer sees (the lists' `seen_off_track_on`, the homes' counts).
    """
    return Coalesce("goes_off_track_on", AddDays(
        Coalesce("next_event_on", "last_activity_on", "started_on"), "tracking_threshold_days"
    ))
