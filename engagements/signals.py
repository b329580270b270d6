"""
What engagements/ tells the rest of the project about changes to engagements, and the
receivers engagements/ itself keeps.

The signals are sent by the code that writes the change — the actions,
engagements/actions.py, whoever calls them (a page, the Django admin) — **inside the writing
transaction, after the rows are written**, so a receiver that writes (reports/ keeps
the Billing page's stored counts true with them) commits or rolls back with the change.
engagements/ never imports its receivers: apps that depend on it connect to these.

Every signal is sent with `sender=Engagement`. Dates are calendar days in the company's
timezone.
"""

from django.conf import settings
from django.db.models import Case, Value, When
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from engagements.models import Engagement

engagements_status_changed = Signal()
"""
`engagements` (a list of Engagement, as written; several at once for a bulk ending) entered or
left the running statuses (active, coach matching) on `day`:
  - `delta=+1`: they start counting as running from `day` on (a launch);
  - `delta=-1`: they stop counting on `day` (ended early, completed; their `ended_on` is `day`,
    or their start day when that is later).
"""

engagement_start_moved = Signal()
"""
`engagement`'s start date (`started_on`) changed from `old` to `new` (either may be None): the
days between the two are counted differently.
"""

engagement_people_changed = Signal()
"""
Who or where `engagement` counts for — its coachee, coach, location or running status — changed,
from `day` on, with its start date kept: a coach selected in coach matching (`day` is the
selection day; the status goes from coach matching to active), or an edit of its coach or
location (`day` is the start: an engagement has one coach and one location for every day it
ran, so an edit rewrites its past).
"""


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def keep_provider_company(sender, instance, created, update_fields=None, **kwargs):
    """A coach who moves company takes `Engagement.provider_company` along."""
    if created or (update_fields is not None and "company" not in update_fields):
        return
    coached = Engagement.objects.filter(coach=instance)
    if instance.company_id is None:
        coached.update(provider_company=None)
    else:
        coached.update(provider_company=Case(
            When(company_id=instance.company_id, then=None),
            default=Value(instance.company_id),
        ))


# Sent by every action (engagements/actions.py) inside its transaction, after the change, its
# audit row and the at-once evaluation: a receiver that writes (billing's counts) commits with
# the change or not at all. Keyword arguments: `action` (an AuditEvent.Action), `engagement`,
# `by` (the acting user), `changes` (what the audit row says), `transition` (the
# ProgressTransition the evaluation recorded, or None), `event` (the session or discovery call
# changed, or None), `batch` (None, or the `Batch` shared by the sends of one action that
# changes many engagements or events at once).
engagement_changed = Signal()


class Batch(dict):
    """
    What the `engagement_changed` sends of one action that changes many engagements or events
    at once share. A receiver keeps in it (a dict) what it would otherwise look up again for
    each send, and may put off its writes to one for all: `defer(key, write)` registers
    `write` once per key, and the action calls `close()` after its last send, still inside its
    transaction, so the deferred rows commit or roll back with the change.
    """

    def __init__(self):
        super().__init__()
        self._deferred = {}

    def defer(self, key, write):
        self._deferred.setdefault(key, write)

    def close(self):
        deferred, self._deferred = self._deferred, {}
        for write in deferred.values():
            write()

# The same arguments, sent once the transaction has committed: for what follows a change
# (emails, webhooks), which must never go out for a change that was rolled back.
engagement_change_committed = Signal()

# A connected calendar (engagements/calendars.py) has failed for a day: its owner is told.
# Keyword argument: `feed`, the CalendarFeed (its `last_error` says why).
calendar_feed_failing = Signal()
