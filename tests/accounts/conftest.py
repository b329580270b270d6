import pytest

from optify.celery import app


@pytest.fixture(autouse=True)
def _tasks_in_process():
    """
    Celery tasks run in-process, as on the embedded default (no REDIS_URL): the password-reset
    email is sent once the page's answer has gone, inside the test client's request.
    """
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager
