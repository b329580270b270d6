#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optify.settings")
    from django.core.management import execute_from_command_line

    from optify import logs

    # One run_id for everything a command logs and queues (evaluate_progress, send_nudges);
    # under runserver, each request binds its own.
    logs.bind()
    execute_from_command_line(sys.argv)
