from django.apps import AppConfig
from django.db.models.signals import post_save


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self):
        from optify.metrics import transition_recorded
        from tracking.models import ProgressTransition

        def count_transition(sender, instance, created, **kwargs):
            # Evaluations at once; a daily run's transitions are counted with the run.
            if created and instance.cause != ProgressTransition.Cause.DAILY:
                transition_recorded(instance)

        post_save.connect(count_transition, sender=ProgressTransition,
                          dispatch_uid="tracking.count_transition")
