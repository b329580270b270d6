from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from engagements.signals import (
            calendar_feed_failing,
            engagement_change_committed,
            engagement_changed,
        )
        from notifications import invites, pauses, tasks, webhooks
        from notifications.messages import on_engagement_changed
        from notifications.outbox import on_evaluation_committing, on_progress_flipped
        from tracking.signals import evaluation_committing, progress_flipped

        # The daily evaluation announces its run inside its transaction; the outbox is
        # written there too, so status changes and nudges commit (or roll back) together.
        evaluation_committing.connect(
            on_evaluation_committing, dispatch_uid="notifications.build_outbox"
        )
        # And so do the at-once evaluations of one engagement, for their flips to Off Track.
        progress_flipped.connect(on_progress_flipped, dispatch_uid="notifications.flip_outbox")
        # What follows an action once committed: the coach told of the answer to a pause.
        engagement_change_committed.connect(pauses.on_engagement_change_committed,
                                            dispatch_uid="notifications.pause_answer")

        # Webhooks' outbox, likewise in the transaction of the change: the actions' changes
        # and the daily run's flips (notifications/webhooks.py).
        engagement_changed.connect(webhooks.on_engagement_changed,
                                   dispatch_uid="notifications.webhooks.changes")
        evaluation_committing.connect(webhooks.on_evaluation_committing,
                                      dispatch_uid="notifications.webhooks.daily")
        # Calendar invitations once a session change has committed; a failing calendar's
        # owner told (notifications/invites.py).
        engagement_change_committed.connect(invites.on_change_committed,
                                            dispatch_uid="notifications.invites")
        calendar_feed_failing.connect(invites.on_calendar_feed_failing,
                                      dispatch_uid="notifications.calendar_feed_failing")
        # A message's emails: written with it (its transaction), queued once it has committed.
        engagement_changed.connect(on_engagement_changed,
                                   dispatch_uid="notifications.message_notices")
        engagement_change_committed.connect(tasks.on_engagement_change_committed,
                                            dispatch_uid="notifications.message_emails")
