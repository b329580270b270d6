from django.apps import AppConfig
from django.core.signals import request_finished, request_started

from optify import logs


class OptifyConfig(AppConfig):
    """The project's wiring as an app: its management commands, the request run_id."""

    name = "optify"

    def ready(self):
        request_started.connect(logs.on_request_started, dispatch_uid="optify.run_id")
        request_finished.connect(logs.on_request_finished, dispatch_uid="optify.run_id")
        # The API schema's extensions register themselves when imported (drf-spectacular).
        from optify.api import schema  # noqa: F401
