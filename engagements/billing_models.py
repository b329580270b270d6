"""
The Billing page's store of each day's counts (see engagements/billing.py), and what keeps it
true.

`BillingDay` holds, per company and day, the number of distinct active clients and coaches on
that day — for the whole company (`whole_company`) and for each of its locations (location
None with `whole_company` False: engagements without a location). Days are computed once, the
first time the Billing page needs them, and kept; the page then reads at most 366 small rows
per scope instead of sweeping a year of engagements.

A stored day is only true while the engagements' dates and people it was counted from stay as
they were. Whatever changes them drops the stored days from the first day it can affect on,
**in the same transaction** (`forget_billing_from`), and the next visit recomputes them — or,
for the two common changes, moves today's stored counts by the people it adds or removes
(`count_change_today`): ending engagements today and launching one today.
  - ending (engagements/lifecycle.py) moves today's counts;
  - launching (creating an engagement that starts today) moves today's counts;
  - saving an engagement through the ORM otherwise (coach selection, the admin) and deleting
    one do it through the receivers below (a change of coach or status alone counts from
    today: a selected coach is counted from the selection day; a start date moved counts
    from the earlier of the two dates, as loaded and as saved);
  - anything that rewrites engagements with `QuerySet.update()` or SQL must call it itself.
`forget_billing_from` and the recomputation lock the company row (FOR NO KEY UPDATE, which
does not block inserting engagements), so a recomputation never stores counts read before a
change that was meanwhile committed.
"""

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

# The engagement fields a day's counts depend on.
BILLED_FIELDS = frozenset({"company", "location", "coachee", "coach", "status", "started_on",
                           "ended_on"})
# Changing only these is launching, ending, or selecting a coach: that counts from today on
# (a selected coach counts from the selection day, see billing.py), not from the start date.
FROM_TODAY_FIELDS = frozenset({"coach", "status"})


class BillingDay(models.Model):
    """One day's distinct active clients and coaches, for a company or one of its locations."""

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="+")
    whole_company = models.BooleanField()
    location = models.ForeignKey("accounts.Location", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    day = models.DateField()
    clients = models.PositiveIntegerField()
    coaches = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "day"], condition=models.Q(
                whole_company=True), name="billingday_company_day"),
            models.UniqueConstraint(fields=["company", "location", "day"], condition=models.Q(
                whole_company=False, location__isnull=False), name="billingday_location_day"),
            models.UniqueConstraint(fields=["company", "day"], condition=models.Q(
                whole_company=False, location__isnull=True), name="billingday_no_location_day"),
            models.CheckConstraint(
                condition=models.Q(whole_company=False) | models.Q(location__isnull=True),
                name="billingday_company_has_no_location"),
        ]

    def __str__(self):
        scope = "company" if self.whole_company else (self.location or "no location")
        return f"{self.day} {scope}: {self.clients} clients, {self.coaches} coaches"


def lock_company_billing(company_id):
    """Serialise recomputing and forgetting a company's days (inside a transaction)."""
    from accounts.models import Company

    list(Company.objects.select_for_update(no_key=True).filter(pk=company_id)
         .values_list("pk", flat=True))


def forget_billing_from(company_id, day):
    """Drop `company_id`'s stored days from `day` on; call it in the changing transaction."""
    if company_id is None or day is None:
        return
    with transaction.atomic():
        lock_company_billing(company_id)
        BillingDay.objects.filter(company_id=company_id, day__gte=day).delete()


def count_change_today(company, engagements, today, sign):
    """
    `engagements` have just started (sign +1, a launch) or stopped (-1, an ending) counting
    today: move today's stored counts by the people this adds or removes, instead of dropping
    the day and counting 160,000 engagements again on the next visit. A person moves a count
    only if no other engagement of theirs counts today in that scope. Call it in the changing
    transaction, after the change. Nothing to do when today is not stored yet (the next visit
    counts it); today is dropped, to be recounted, if the stored counts cannot take the move.
    """
    from engagements.models import Engagement  # models.py imports this module

    affected = [e for e in engagements if e.started_on is not None and e.started_on <= today]
    if not affected:
        return  # starting or ending on a later day does not change today
    with transaction.atomic():
        lock_company_billing(company.pk)
        rows = {(row.whole_company, row.location_id): row
                for row in BillingDay.objects.filter(company=company, day=today)}
        if (True, None) not in rows:
            return
        others = (Engagement.objects.filter(company=company, started_on__lte=today)
                  .exclude(status=Engagement.Status.DRAFT)
                  .filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=today))
                  .exclude(pk__in=[e.pk for e in affected]))
        moved = set()
        for who, person_field in (("clients", "coachee_id"), ("coaches", "coach_id")):
            placed = {(getattr(e, person_field), e.location_id) for e in affected
                      if getattr(e, person_field) is not None}
            if not placed:
                continue
            elsewhere = set(others.filter(**{f"{person_field}__in": {p for p, _ in placed}})
                            .order_by().values_list(person_field, "location_id").distinct())
            counted_elsewhere = {person for person, _ in elsewhere}
            moves = [(True, None)] * len({p for p, _ in placed if p not in counted_elsewhere})
            moves += [(False, place) for person, place in placed
                      if (person, place) not in elsewhere]
            for scope in moves:
                row = rows.setdefault(scope, BillingDay(
                    company=company, whole_company=scope[0], location_id=scope[1], day=today,
                    clients=0, coaches=0))
                setattr(row, who, getattr(row, who) + sign)
                moved.add(scope)
        if any(row.clients < 0 or row.coaches < 0 for row in rows.values()):
            BillingDay.objects.filter(company=company, day=today).delete()  # recount it
            return
        for scope in moved:
            rows[scope].save()


def _first_affected_day(engagement, fields):
    """The first day whose counts saving `engagement` (these `fields`, None: all) may change."""
    # The start as saved and as it was loaded: a start moved later uncounts the days between.
    loaded = getattr(engagement, "_loaded_started_on", None)
    starts = [day for day in (engagement.started_on, loaded) if day is not None]
    if not starts:
        return None  # a draft: never counted
    if fields is not None and not fields & BILLED_FIELDS:
        return None
    if fields is not None and fields & BILLED_FIELDS <= FROM_TODAY_FIELDS:
        return engagement.company.local_today()
    return min(starts)


@receiver(post_save, sender="engagements.Engagement", dispatch_uid="billing_engagement_saved")
def engagement_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    if (created and instance.status != "draft" and instance.started_on is not None
            and instance.started_on == instance.company.local_today()):
        count_change_today(instance.company, [instance], instance.started_on, +1)  # a launch
        return
    fields = frozenset(update_fields) if update_fields is not None else None
    forget_billing_from(instance.company_id, _first_affected_day(instance, fields))
    instance._loaded_started_on = instance.started_on


@receiver(post_delete, sender="engagements.Engagement", dispatch_uid="billing_engagement_deleted")
def engagement_deleted(sender, instance, **kwargs):
    forget_billing_from(instance.company_id, instance.started_on)

