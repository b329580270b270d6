"""A day's counts as stored and as recounted from the engagements, to compare the two."""

from reports import billing
from reports.models import BillingDay


def stored_on(company, day):
    """The stored counts of `day`, as {scope: (clients, coaches)}, zero scopes left out."""
    return {(row.whole_company, row.location_id): (row.clients, row.coaches)
            for row in BillingDay.objects.filter(company=company, day=day)
            if row.clients or row.coaches}


def recounted_on(company, day):
    """`day`'s counts recounted from the engagements, in the same shape."""
    return {scope: (c.clients, c.coaches) for scope, c in billing.counts_on(company, day).items()
            if c}
