import json

from django.core.management.base import BaseCommand

from optify import health
from optify.celery import app as celery_app

EXIT_CODES = {"ok": 0, "degraded": 1, "error": 2}


class Command(BaseCommand):
    help = (
        "Print the /healthz body (JSON) and exit 0 when ok, 1 when degraded, 2 on error: for "
        "cron, Docker and Kubernetes probes. --worker also asks a Celery worker to answer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker", metavar="NAME",
            help="a Celery worker node (celery@host) that must answer a ping, else error",
        )
        parser.add_argument(
            "--fail-on", choices=["degraded", "error"], default="degraded",
            help="the least serious status that exits non-zero (a liveness probe that "
                 "restarts the process wants 'error')",
        )

    def handle(self, *args, worker=None, fail_on="degraded", **options):
        body, _ = health.report()
        if worker:
            replies = celery_app.control.ping(destination=[worker], timeout=5)
            body["worker"] = "ok" if replies else "error: no reply"
            if not replies:
                body["status"] = "error"
        self.stdout.write(json.dumps(body, indent=2, sort_keys=False))
        code = EXIT_CODES[body["status"]]
        if code >= EXIT_CODES[fail_on]:
            raise SystemExit(code)
