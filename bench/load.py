"""
Load on a real server: gunicorn + PostgreSQL with the benchmark data set, driven by wrk from
a separate process on loopback — a mix of list, report, engagement pages and CSV exports as
several users of several tenants, for a bounded time.

    source /tmp/optify-dev/env
    .venv/bin/python bench/load.py --duration 60 --connections 4,16     # optify_bench
    .venv/bin/python bench/load.py --database-url postgres://optify@127.0.0.1:PORT/optify_bench

Prints, for each number of connections, requests per second, p50/p95/p99 latencies and the
count of non-2xx answers, with the load average before and after. Production-like: DEBUG off,
collectstatic first, gunicorn's sync workers. Needs `wrk` (Debian package) and a data set
seeded by bench/seed.py.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import PRODUCTION_LIKE, bench_database_url, loadavg  # noqa: E402

LUA = r"""
local targets = {}
local i = 0
local bad = 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, cookie = line:match("^(%S+)%s+(%S+)$")
    table.insert(targets, {path, cookie})
  end
  i = math.random(#targets)
end
request = function()
  i = (i % #targets) + 1
  local t = targets[i]
  return wrk.format("GET", t[1], {["Cookie"] = "sessionid=" .. t[2], ["Host"] = "localhost"})
end
response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "errors_socket": %d, "errors_status": %d,' ..
    ' "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """`pid` and its descendants, from /proc."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(child) for child in f.read().split()]
        except OSError:
            continue
    return pids


def cpu_seconds(pids):
    """User + system CPU time the processes `pids` (alive now) have used so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postmaster_pid(database_url):
    """The PostgreSQL server's main process, if it runs on this machine and we may ask."""
    import psycopg

    try:
        with psycopg.connect(database_url) as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        with open(Path(data, "postmaster.pid")) as f:
            return int(f.readline())
    except Exception:
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_targets(limit_users):
    """Sessions for several users of several tenants, and the pages each may open."""
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.urls import reverse

    from accounts.models import User
    from engagements.models import Engagement

    users = list(User.objects.filter(is_global_admin=True, company__slug="bench-big")[:1])
    users += list(User.objects.filter(is_global_admin=True).exclude(company__slug="bench-big")
                  .order_by("pk")[:limit_users])
    coach_ids = (Engagement.objects.filter(company__slug="bench-big")
                 .values_list("coach_id", flat=True).order_by("pk")[:2])
    users += list(User.objects.filter(pk__in=list(coach_ids)))
    lines = []
    for user in users:
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        key = session.session_key
        pages = [
            reverse("engagements:list"),
            reverse("engagements:list") + "?progress=off_track",
            reverse("engagements:list") + "?sort=-off_track_since",
            reverse("engagements:list") + "?q=smith",
            reverse("reports:report"),
            reverse("reports:report") + "?progress=off_track",
        ]
        ids = Engagement.objects.restrict(user).values_list("pk", flat=True)[:5]
        pages += [reverse("engagements:detail", args=[pk]) for pk in ids]
        if user.company.slug != "bench-big":  # the 200,000-row export is measured apart
            pages.append(reverse("reports:export"))
        lines += [f"{page} {key}" for page in pages]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: optify_bench")
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--connections", default="4,16",
                        help="comma-separated: one run each, on the same server")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--users", type=int, default=4, help="admins of other tenants")
    args = parser.parse_args()
    args.database_url = bench_database_url(args.database_url)
    connections = [int(n) for n in args.connections.split(",")]

    port = free_port()
    env = {
        **PRODUCTION_LIKE, **os.environ, "DATABASE_URL": args.database_url,
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=ROOT, env=env, check=True)
    targets = build_targets(args.users)
    with tempfile.TemporaryDirectory() as tmp:
        targets_file = Path(tmp, "targets.txt")
        targets_file.write_text("\n".join(targets) + "\n")
        script = Path(tmp, "mix.lua")
        script.write_text(LUA)
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "optify.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            # Warm up each worker's connections and caches before measuring.
            subprocess.run(["wrk", "-t1", "-c4", "-d5s", "-s", str(script),
                            f"http://127.0.0.1:{port}", "--", str(targets_file)],
                           capture_output=True, check=True)
            failed = False
            print(f"{len(targets)} distinct (page, user) targets, {args.duration}s per run, "
                  f"gunicorn x{args.workers}, wrk -t{args.threads}", flush=True)
            postmaster = postmaster_pid(args.database_url)
            for count in connections:
                before = loadavg()
                # CPU used by gunicorn and PostgreSQL during the run, per request: what the mix
                # costs whatever else the (shared) machine is doing; cores / that = the rate
                # an idle machine of this many cores could serve.
                served = [server.pid] + ([postmaster] if postmaster else [])
                cpu_before = cpu_seconds([p for pid in served for p in process_tree(pid)])
                run = subprocess.run(
                    ["wrk", f"-t{min(args.threads, count)}", f"-c{count}", f"-d{args.duration}s",
                     "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}", "--",
                     str(targets_file)],
                    capture_output=True, text=True, check=True,
                )
                cpu = cpu_seconds([p for pid in served for p in process_tree(pid)]) - cpu_before
                result = json.loads(run.stdout.split("RESULT ", 1)[1])
                rps = round(result["requests"] / (result["duration_us"] / 1e6), 1)
                per_request = cpu / max(result["requests"], 1)
                print(f"{count:3} connections: requests/s {rps}  p50 {result['p50_ms']} ms  "
                      f"p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms  "
                      f"max {result['max_ms']} ms  errors: socket {result['errors_socket']}, "
                      f"non-2xx {result['errors_status']}  ({before} before, {loadavg()} after)",
                      flush=True)
                print(f"     CPU of gunicorn + PostgreSQL: {per_request * 1000:.1f} ms a request"
                      f"{'' if postmaster else ' (gunicorn only: PostgreSQL is not local)'}, "
                      f"i.e. {os.cpu_count() / per_request:.0f} requests/s on "
                      f"{os.cpu_count()} idle cores", flush=True)
                failed |= bool(result["errors_socket"] or result["errors_status"])
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
