from django.db.models import DateField, Func


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
