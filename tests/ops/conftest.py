from tests.support.celery import celery_processes  # noqa: F401 (a fixture, for this package)
