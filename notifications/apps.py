import importlib.util

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from notifications.outbox import on_evaluation_committing
        from notifications.tasks import SEND_EVERY_SECONDS
        from optify.celery import app as celery_app

        # The daily evaluation announces its run inside its transaction; the outbox is
        # written there too, so status changes and nudges commit (or not) together.
        if importlib.util.find_spec("tracking.signals") is not None:
            from tracking.signals import evaluation_committing

            evaluation_committing.connect(
                on_evaluation_committing, dispatch_uid="notifications.build_outbox"
            )

        celery_app.conf.beat_schedule = {
            **(celery_app.conf.beat_schedule or {}),
            "notifications.send_pending_nudges": {
                "task": "notifications.send_pending_nudges",
                "schedule": float(SEND_EVERY_SECONDS),
            },
        }
