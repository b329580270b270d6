"""
Billing's answers to engagements' changes (engagements/signals.py): each keeps the stored days
(reports/billing.py) true in the transaction that made the change. engagements/ sends; it does
not know who listens.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from engagements.models import Engagement
from engagements.signals import (
    engagement_people_changed,
    engagement_start_moved,
    engagements_status_changed,
)
from reports.billing import count_change_today, forget_billing_from


@receiver(engagements_status_changed, sender=Engagement, dispatch_uid="billing_status_changed")
def move_counts_of_the_day(sender, engagements, day, delta, **kwargs):
    """Launched (+1) or ended (-1) on `day`: move that day's stored counts, company by company."""
    by_company = {}
    for engagement in engagements:
        by_company.setdefault(engagement.company_id, []).append(engagement)
    for group in by_company.values():
        company = group[0].company
        back_dated = [e.started_on for e in group
                      if delta > 0 and e.started_on is not None and e.started_on < day]
        if back_dated:
            # Launched with a start in the past: it counts on days already stored.
            forget_billing_from(company.pk, min(back_dated))
        else:
            count_change_today(company, group, day, delta)


@receiver(engagement_start_moved, sender=Engagement, dispatch_uid="billing_start_moved")
def recount_from_the_earlier_start(sender, engagement, old, new, **kwargs):
    # Moved earlier, it counts on more days; moved later, the days in between no longer count.
    starts = [day for day in (old, new) if day is not None]
    if starts:
        forget_billing_from(engagement.company_id, min(starts))


@receiver(engagement_people_changed, sender=Engagement, dispatch_uid="billing_people_changed")
def recount_from_the_change(sender, engagement, day, **kwargs):
    if engagement.started_on is not None:  # a draft never counted
        forget_billing_from(engagement.company_id, day)


@receiver(post_delete, sender=Engagement, dispatch_uid="billing_engagement_deleted")
def recount_without_the_deleted(sender, instance, **kwargs):
    forget_billing_from(instance.company_id, instance.started_on)
