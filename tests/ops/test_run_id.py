"""
The run id in every log line: bound by a request (its X-Request-ID) or a task, carried in the
headers of the tasks queued meanwhile. (The whole chain under a real worker:
test_celery_observability.py.)
"""

import json
import logging
import re

import pytest

from optify import logs
from optify.logs import JsonFormatter, KeyValueFormatter

HEX = re.compile(r"^[0-9a-f]{16}$")


def test_a_request_logs_under_its_request_id_and_answers_it(db, client, caplog):
    caplog.set_level("WARNING", logger="django.request")
    # What was bound before (another test's streamed answer, never read to its end, leaves its
    # request open) is what is bound after: the request's own id does not outlive it.
    before = logs.current_run_id()
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "django.request"]
    line = json.loads(JsonFormatter().format(record))
    assert (line["event"], line["level"], line["run_id"]) == (
        "Not Found: /no-such-page/", "WARNING", "req-42")
    assert logs.current_run_id() == before != "req-42"  # unbound once the request is over


@pytest.mark.parametrize("supplied", ["", "has spaces", "x" * 65, "<script>"])
def test_a_missing_or_odd_request_id_is_replaced(db, client, supplied):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=supplied)
    assert HEX.match(response["X-Request-ID"])


def test_a_task_is_published_with_the_bound_run_id_or_a_new_one():
    token = logs.bind("tick-1")
    try:
        headers = {}
        logs.on_before_task_publish(headers=headers)
        assert headers == {"run_id": "tick-1"}
    finally:
        logs.unbind(token)
    headers = {}
    logs.on_before_task_publish(headers=headers)  # beat: nothing bound, the tick's own
    assert HEX.match(headers["run_id"])


def test_the_people_format_puts_the_fields_after_the_event_and_the_run_id_last():
    token = logs.bind("tick-7")
    try:
        record = logging.getLogger("tracking.daily").makeRecord(
            "tracking.daily", logging.INFO, __file__, 1, "evaluation_run", (), None,
            extra={"company": "acme", "evaluated": 2})
    finally:
        logs.unbind(token)
    assert KeyValueFormatter().format(record).endswith(
        " INFO tracking.daily evaluation_run company=acme evaluated=2 run_id=tick-7")
    assert json.loads(JsonFormatter().format(record)) | {"time": "-"} == {
        "time": "-", "level": "INFO", "logger": "tracking.daily", "event": "evaluation_run",
        "company": "acme", "evaluated": 2, "run_id": "tick-7"}
