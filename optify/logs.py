"""
Logs an operator can query: one line per event, the event's name first and its fields as
keys — `logger.info("evaluation_run", extra={"company": "acme", "run": 42, ...})`.

Two renderings of the same record (LOG_FORMAT):
- "json" (the production default): one JSON object per line, by python-json-logger:
  {"time": ..., "level": "INFO", "logger": "tracking.daily", "event": "evaluation_run",
   "company": "acme", "run": 42, ..., "run_id": "5f0c..."};
- "keyvalue" (the default under DEBUG, for people): `... evaluation_run company=acme run=42`.

`run_id` ties together everything one piece of work caused. A web request binds one (its
X-Request-ID header, or a new one; optify/apps.py connects the request signals); a Celery task
publishes the id bound where it was queued in its message headers (a task queued by beat gets
a new one: the tick's), and the worker binds it while the task runs; so the hourly tick, every
company evaluation it enqueues and the sender that each one queues all log the same run_id.
Every record gets it (a record factory), whatever logger wrote it.
"""

import contextvars
import logging
import logging.config
import re
import secrets

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_run_id = contextvars.ContextVar("run_id", default=None)
_task_tokens = {}
HEADER = "run_id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Record attributes that are not an event's fields.
_NOT_FIELDS = frozenset(RESERVED_ATTRS) | {"message", "asctime", "run_id"}


def current_run_id():
    return _run_id.get()


def new_run_id():
    return secrets.token_hex(8)


def bind(run_id=None):
    """Bind `run_id` (or keep the bound one, or make one); returns a token for `unbind`."""
    return _run_id.set(run_id or _run_id.get() or new_run_id())


def unbind(token):
    _run_id.reset(token)


def fields(record):
    """The event's own fields of a record: what was passed as `extra`, in that order."""
    return {key: value for key, value in record.__dict__.items() if key not in _NOT_FIELDS}


# --- formatting -----------------------------------------------------------------------------

class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {
            "asctime": "time", "levelname": "level", "name": "logger", "message": "event"})
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)


class KeyValueFormatter(logging.Formatter):
    """`<time> <level> <logger> <event> key=value ... run_id=...`, for a person's terminal."""

    def __init__(self, *args, **kwargs):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record):
        pairs = [f"{key}={value}" for key, value in fields(record).items()]
        if getattr(record, "run_id", None):
            pairs.append(f"run_id={record.run_id}")
        return " ".join([super().formatMessage(record), *pairs])


_base_record_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs):
    record = _base_record_factory(*args, **kwargs)
    record.run_id = _run_id.get()
    return record


def configure(config):
    """LOGGING_CONFIG: every record carries the bound run_id, then Django's dictConfig."""
    logging.setLogRecordFactory(_record_factory)
    logging.config.dictConfig(config)


# --- carrying the run id --------------------------------------------------------------------

_before_request = contextvars.ContextVar("run_id_before_request", default=None)


def on_request_started(sender=None, environ=None, scope=None, **kwargs):
    """
    Binds a request's run_id: its X-Request-ID if it looks like one, else a new one. On
    Django's request signals rather than in a middleware, so that what Django logs after the
    middleware has returned (django.request's "Not Found", "Internal Server Error") has it too.
    """
    if environ is not None:
        supplied = environ.get("HTTP_X_REQUEST_ID", "")
    else:
        headers = dict((scope or {}).get("headers", []))
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
    _before_request.set(_run_id.get())
    _run_id.set(supplied if _VALID_REQUEST_ID.match(supplied) else new_run_id())


def on_request_finished(sender=None, **kwargs):
    _run_id.set(_before_request.get())


class RunIdMiddleware:
    """Answers the request's run_id as X-Request-ID, for the client to quote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _run_id.get():
            response["X-Request-ID"] = _run_id.get()
        return response


def on_before_task_publish(headers=None, **kwargs):
    """Celery: the message carries the run_id bound here (a new one from beat's tick)."""
    if headers is not None and not headers.get(HEADER):
        headers[HEADER] = _run_id.get() or new_run_id()


def on_task_prerun(task_id=None, task=None, **kwargs):
    """Celery: the task runs under its message's run_id (in-process: the caller's)."""
    _task_tokens[task_id] = bind(task.request.get(HEADER) if task else None)


def on_task_postrun(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _run_id.reset(token)


task_log = logging.getLogger("optify.tasks")


def on_task_failure(sender=None, task_id=None, exception=None, **kwargs):
    task_log.error("task_failed", extra={
        "task": getattr(sender, "name", "unknown"), "task_id": task_id,
        "error": type(exception).__name__, "detail": str(exception)[:500]})


def on_task_retry(sender=None, request=None, reason=None, **kwargs):
    task_log.warning("task_retry", extra={
        "task": getattr(sender, "name", "unknown"), "task_id": getattr(request, "id", None),
        "reason": str(reason)[:500]})
