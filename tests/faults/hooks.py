"""
Test-only hooks loaded into a real worker (`celery worker -I tests.faults.hooks`) so that a
fault test can stop it at a known point instead of relying on timing luck.

OPTIFY_FAULT_PAUSE_AT=evaluation_committing
    pause inside the daily evaluation's transaction, after the status changes (and, with the
    outbox receiver connected first, the nudges) are written and before COMMIT.
OPTIFY_FAULT_MARKER=path
    written (with the worker's pid) when the pause starts: the test waits for it.
OPTIFY_FAULT_RELEASE=path
    the pause ends once this file exists (never, if unset: the test kills the worker).
OPTIFY_FAULT_PAUSE_AT=weekly_built
    pause inside the weekly digests' transaction, after the digests are written and before
    COMMIT.
OPTIFY_FAULT_NOW=ISO datetime
    the moment the weekly digests are built for (a Monday after 08:00), whatever the clock.

`PausingSMTPBackend` is a real SMTP mail backend that pauses the same way just before handing
its `pause_before`-th message to the server (MAILERS OPTIONS, set through ANYMAIL_BACKEND and
ANYMAIL_OPTIONS in the worker's environment).
"""

import datetime
import os
import time
from pathlib import Path

from django.core.mail.backends.smtp import EmailBackend

import notifications.tasks
from tracking.signals import evaluation_committing


def pause(marker, release=None):
    Path(marker).write_text(str(os.getpid()))
    while not (release and Path(release).exists()):
        time.sleep(0.05)


def _pause_in_evaluation(sender, runs, **kwargs):
    pause(os.environ["OPTIFY_FAULT_MARKER"], os.environ.get("OPTIFY_FAULT_RELEASE"))


if os.environ.get("OPTIFY_FAULT_PAUSE_AT") == "evaluation_committing":
    # Connected after the apps' receivers (django.setup() ran before -I modules are imported),
    # so the outbox has been written into the transaction when the pause starts.
    evaluation_committing.connect(_pause_in_evaluation, dispatch_uid="tests.faults.pause")


if os.environ.get("OPTIFY_FAULT_NOW"):
    _build_due_weekly_digests = notifications.tasks.build_due_weekly_digests

    def _build_weekly_then_maybe_pause(now=None):
        built = _build_due_weekly_digests(
            datetime.datetime.fromisoformat(os.environ["OPTIFY_FAULT_NOW"]))
        if os.environ.get("OPTIFY_FAULT_PAUSE_AT") == "weekly_built":
            pause(os.environ["OPTIFY_FAULT_MARKER"], os.environ.get("OPTIFY_FAULT_RELEASE"))
        return built

    # The task looks the function up in its module when it runs.
    notifications.tasks.build_due_weekly_digests = _build_weekly_then_maybe_pause


class PausingSMTPBackend(EmailBackend):
    # Counts across connections: the sender opens one per run.
    handed_over = 0

    def __init__(self, *, pause_before, marker, release=None, **kwargs):
        super().__init__(**kwargs)
        self.pause_before, self.marker, self.release = pause_before, marker, release

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            if PausingSMTPBackend.handed_over + 1 == self.pause_before:
                pause(self.marker, self.release)
            sent += super().send_messages([message])
            PausingSMTPBackend.handed_over += 1
        return sent
