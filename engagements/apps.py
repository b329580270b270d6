from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"

    def ready(self):
        from engagements import signals  # noqa: F401
