"""
Benchmark of progress tracking against databases seeded by bench/seed.py, each figure a ratio
to a read-only yardstick measured in the same run, with the load average beside it.

    scripts/services.sh start /tmp/optify-dev && source /tmp/optify-dev/env
    .venv/bin/pip install -e '.[bench]'                     # matplotlib, for --growth's plot
    .venv/bin/python bench/bench_tracking.py --engagements 100000   # seeds optify_bench_100000
    .venv/bin/python bench/bench_tracking.py --all          # everything docs/benchmarks.md shows

One database (--engagements N [--companies C]; seeded first unless it already holds exactly
that) is measured in one run:
1. the yardstick: one read-only query, written independently of tracking/evaluation.py and
   simply, computing every engagement's status with DESIGN.md's rules (pauses included) and
   counting them. Measured three times (before, between and after the evaluations); every
   ratio is to their median.
2. the full set-based evaluation (tracking.evaluation.evaluate_many, all companies) of the day
   the database was evaluated on: nothing changed, so it writes nothing. Target <= 1.5.
3. the full evaluation of the next day, which changes what one day changes (about 1 % of
   the rows; printed), rolled back after the checks its commit would make (the deferred
   foreign keys: seed.roll_back_after_commit_checks). Target <= 2.
4. the daily run of the next day: tracking.jobs.run_daily_evaluations for every company at
   once, as the Celery task runs it, with what its receivers write in its transaction (the
   nudges' outbox, the webhooks' events) and the checks its commit would make, then rolled
   back; the median of three runs. Target <= 0.05 at 1,000,000, <= 0.1 at 100,000.
   (bench_daily_parts.py shows where its time goes.)
5. peak memory (max RSS) of this process, which runs the evaluations: target < 300 MB.

--all: the growth series (100,000, 300,000 and 1,000,000 engagements, 500 companies), the
daily run at 100,000 with 5,000 companies (its cost follows the rows due, not the number of
companies), and pauses' overhead at 1,000,000 (bench/bench_pauses.py); seeds what is missing
and draws docs/evaluation-growth.png. The machine the figures in docs/benchmarks.md come from
is shared: the load average is printed with every figure, and the ratios are what matter.
"""

import argparse
import datetime as dt
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed import bench_database_url, roll_back_after_commit_checks, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "evaluation-growth.png"
GROWTH = (100_000, 300_000, 1_000_000)
DAILY_ROUNDS = 3

# The yardstick: every engagement's status on %(today)s by DESIGN.md's rules, read-only, one
# statement. Events of the current phase (sessions while active, discovery calls while
# matching) on company-local days; a pause covering today makes it paused; otherwise it is
# off track when the unpaused days after its last activity, up to today, reach the threshold.
YARDSTICK_SQL = """
WITH last_events AS (
    SELECT x.engagement_id,
           max(CASE WHEN x.day <= %(today)s THEN x.day
                    WHEN x.status = 'cancelled' AND x.cancelled_day <= %(today)s
                        THEN x.cancelled_day END) AS last_event,
           bool_or(x.status = 'scheduled' AND x.day > %(today)s) AS has_next
    FROM (
        SELECT s.engagement_id, s.status, (s.starts_at AT TIME ZONE c.timezone)::date AS day,
               (s.cancelled_at AT TIME ZONE c.timezone)::date AS cancelled_day
        FROM engagements_session s
        JOIN engagements_engagement e ON e.id = s.engagement_id AND e.status = 'active'
        JOIN accounts_company c ON c.id = e.company_id
        UNION ALL
        SELECT d.engagement_id, d.status, (d.starts_at AT TIME ZONE c.timezone)::date,
               (d.cancelled_at AT TIME ZONE c.timezone)::date
        FROM engagements_discoverycall d
        JOIN engagements_engagement e ON e.id = d.engagement_id AND e.status = 'coach_matching'
        JOIN accounts_company c ON c.id = e.company_id
    ) x
    GROUP BY x.engagement_id
),
pauses AS (
    SELECT engagement_id, array_agg(starts_on) AS starts, array_agg(ends_on) AS ends
    FROM engagements_pause WHERE status = 'approved' GROUP BY engagement_id
),
engagements AS (
    SELECT e.status, e.started_on, e.tracking_threshold_days AS threshold, ev.has_next,
           p.starts, p.ends,
           GREATEST(CASE WHEN e.started_on <= %(today)s THEN e.started_on END,
                    CASE WHEN e.kind = 'coach_matching' AND e.status = 'active'
                              AND sel.selected_on <= %(today)s THEN sel.selected_on END,
                    ev.last_event) AS last_activity
    FROM engagements_engagement e
    LEFT JOIN engagements_coachselection sel ON sel.engagement_id = e.id
    LEFT JOIN last_events ev ON ev.engagement_id = e.id
    LEFT JOIN pauses p ON p.engagement_id = e.id
)
SELECT progress, count(*) FROM (
    SELECT CASE
        WHEN status NOT IN ('active', 'coach_matching') OR threshold IS NULL
             OR started_on > %(today)s THEN 'not_tracked'
        WHEN starts IS NOT NULL AND %(today)s IN (
            SELECT %(today)s FROM unnest(starts, ends) AS u (s, f)
            WHERE %(today)s BETWEEN s AND f) THEN 'paused'
        WHEN has_next OR last_activity IS NULL THEN 'on_track'
        WHEN %(today)s - last_activity - COALESCE(CASE WHEN starts IS NOT NULL THEN (
            SELECT sum(LEAST(f, %(today)s) - GREATEST(s, last_activity + 1) + 1)
            FROM unnest(starts, ends) AS u (s, f)
            WHERE f > last_activity AND s <= %(today)s) END, 0) < threshold THEN 'on_track'
        ELSE 'off_track'
    END AS progress
    FROM engagements
) statuses
GROUP BY progress
"""


def load():
    """The load average (1, 5, 15 minutes), as printed beside every figure."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(fn):
    started = time.monotonic()
    result = fn()
    return time.monotonic() - started, result


def database_for(engagements, companies, url=None):
    base = bench_database_url(url).rsplit("/", 1)[0]
    suffix = "" if companies == 500 else f"_c{companies}"
    return f"{base}/optify_bench_{engagements}{suffix}"


def seeded(url, engagements, companies):
    """Whether `url` already holds a seeded database of that size (so it is not seeded again)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            found = conn.execute(
                "SELECT (SELECT count(*) FROM engagements_engagement),"
                " (SELECT count(*) FROM accounts_company)").fetchone()
    except psycopg.Error:
        return False
    # seed.py adds one coaching provider to the companies asked for.
    return found == (engagements, companies + 1)


def measure(url, today, *, label=""):
    """One database, one run: the figures listed in this module's docstring, as a dict."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Company
    from engagements.models import Engagement
    from tracking.evaluation import Cause, evaluate_many
    from tracking.jobs import run_daily_evaluations

    call_command("migrate", verbosity=0)
    # One log line per company and run would bury the figures.
    logging.getLogger("tracking.daily").setLevel(logging.WARNING)
    logging.getLogger("notifications.outbox").setLevel(logging.WARNING)
    tomorrow = today + dt.timedelta(days=1)
    companies = list(Company.objects.only("pk", "slug", "timezone", "plan"))
    total = Engagement.objects.count()
    figures = {"label": label, "engagements": total, "companies": len(companies),
               "today": today.isoformat()}
    print(f"database {url.rsplit('/', 1)[-1]}: {total:,} engagements, "
          f"{len(companies)} companies; today={today}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    yardsticks, serial = [], []

    def yardstick(when):
        # As PostgreSQL runs it by default (a read-only query may use parallel workers; the
        # evaluation, which writes, may not), and again without parallel workers.
        def run(workers):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)",
                               [workers])
                cursor.execute(YARDSTICK_SQL, {"today": today})
                return dict(cursor.fetchall())

        seconds, statuses = timed(lambda: run("2"))
        yardsticks.append(seconds)
        serial_s, _ = timed(lambda: run("0"))
        serial.append(serial_s)
        print(f"  yardstick ({when}): {seconds:.2f} s, without parallel workers {serial_s:.2f} s"
              f"  load {load()}  {statuses}", flush=True)
        return statuses

    loads = {}

    def measured(name, fn):
        """Times `fn`, keeping the load average at the end of it for its figure."""
        seconds, result = timed(fn)
        loads[name] = load()
        return seconds, result

    def report(name, seconds, target=None, extra=""):
        reference = statistics.median(yardsticks)
        ratio = seconds / reference
        verdict = "" if target is None else (
            f"(target <= {target}) {'OK' if ratio <= target else 'MISSED'}")
        print(f"  {name}: {seconds:.2f} s = {ratio:.3f} x yardstick {verdict}"
              f" ({seconds / statistics.median(serial):.3f} x the serial one)  load {loads[name]}"
              f"{extra}", flush=True)
        figures[name] = {"seconds": round(seconds, 3), "load": loads[name]}

    def full(day, rollback):
        with transaction.atomic():
            counts = evaluate_many({c.pk: day for c in companies}, cause=Cause.MANUAL)
            if rollback:
                roll_back_after_commit_checks()
        return counts

    def daily():
        # As the Celery task runs it, receivers included (the nudges' outbox and the webhooks'
        # events, written in its transaction), then rolled back: not a dry run, which would
        # skip them. What its commit checks (the deferred foreign keys) is checked and timed.
        with transaction.atomic():
            runs = run_daily_evaluations([(c, tomorrow) for c in companies])
            roll_back_after_commit_checks()
        return runs

    yardstick("warm-up")  # reads every table once, so that the first figure is not cold
    yardsticks.clear()
    serial.clear()
    yardstick("first")
    full_s, same = measured("full, nothing changed", lambda: full(today, rollback=False))
    yardstick("second")
    changed_s, changed = measured("full, next day", lambda: full(tomorrow, rollback=True))
    # The median of DAILY_ROUNDS: a single daily run varies by ~15 % from one to the next, and
    # the first follows the rolled-back full evaluation of the same rows.
    rounds = [measured("daily run, next day", daily) for _ in range(DAILY_ROUNDS)]
    daily_s, runs = sorted(rounds, key=lambda round_: round_[0])[DAILY_ROUNDS // 2]
    figures["daily run rounds"] = [round(seconds, 3) for seconds, _ in rounds]
    yardstick("third")
    reference = statistics.median(yardsticks)
    figures["yardstick"] = {"seconds": round(reference, 3), "load": load(),
                            "runs": [round(s, 3) for s in yardsticks]}
    figures["yardstick, serial"] = {"seconds": round(statistics.median(serial), 3),
                                    "runs": [round(s, 3) for s in serial]}
    print(f"  yardstick median {reference:.2f} s, without parallel workers "
          f"{statistics.median(serial):.2f} s")
    report("full, nothing changed", full_s, 1.5,
           f"  ({same.evaluated:,} evaluated, {same.written:,} rows written)")
    report("full, next day", changed_s, 2,
           f"  ({changed.written:,} rows written = {changed.written / max(total, 1):.2%}, "
           f"{changed.transitions:,} status changes)")
    due = sum(run.evaluated for run in runs)
    report("daily run, next day", daily_s, 0.05 if total >= 1_000_000 else 0.1,
           f"  ({len(runs)} companies, {due:,} due = {due / max(total, 1):.2%}; rounds "
           f"{', '.join(f'{seconds:.2f}' for seconds, _ in rounds)} s)")
    figures["due"] = due
    figures["written, next day"] = changed.written
    figures["ratios"] = {
        name: round(figures[name]["seconds"] / reference, 4)
        for name in ("full, nothing changed", "full, next day", "daily run, next day")
    }
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process = {peak_mb:.0f} MB (target < 300 MB) "
          f"{'OK' if peak_mb < 300 else 'MISSED'}", flush=True)
    return figures


def plot(results, path=PLOT):
    """Time against size: the yardstick, the full evaluations and the daily run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = sorted(results, key=lambda r: r["engagements"])
    sizes = [r["engagements"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    series = [("yardstick", "read-only yardstick", "k--"),
              ("yardstick, serial", "yardstick without parallel workers", "k:"),
              ("full, nothing changed", "full evaluation, nothing changed", "o-"),
              ("full, next day", "full evaluation, next day (~1 % changed)", "s-"),
              ("daily run, next day", "daily run, next day (all companies)", "^-")]
    for key, name, style in series:
        ax.plot(sizes, [r[key]["seconds"] for r in results], style, label=name)
    ax.set_xlabel("engagements")
    ax.set_ylabel("seconds")
    ax.set_title("Progress evaluation: time against size (one run per size)")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=None,
                        help="the database of this size, optify_bench_N (seeded first unless "
                             "it holds it); without it, --database-url's own database as it is")
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--database-url", default=None,
                        help="any URL of the server ($DATABASE_URL by default); the database "
                             "name is chosen by size")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30),
                        help="the day the databases are seeded and evaluated on")
    parser.add_argument("--all", action="store_true",
                        help="growth series, 5,000 companies, pauses at 1,000,000, the plot")
    parser.add_argument("--plot", action="store_true",
                        help="only draw the plot from --results (the growth series)")
    parser.add_argument("--results", type=Path, default=ROOT / "var" / "bench-tracking.json",
                        help="the figures of each database, kept for the plot")
    args = parser.parse_args(argv)
    args.results.parent.mkdir(parents=True, exist_ok=True)

    if args.plot:
        results = json.loads(args.results.read_text())
        plot([results[f"{size}/500"] for size in GROWTH])
        return
    if args.all:
        # One process per database: each sets Django up on its own database.
        here = [sys.executable, str(Path(__file__).resolve())]
        common = ["--today", args.today.isoformat(), "--results", str(args.results)]
        if args.database_url:
            common += ["--database-url", args.database_url]
        for size, companies in [(size, 500) for size in GROWTH] + [(100_000, 5_000)]:
            subprocess.run([*here, "--engagements", str(size), "--companies", str(companies),
                            *common], check=True)
        results = json.loads(args.results.read_text())
        plot([results[f"{size}/500"] for size in GROWTH])
        print("pauses at 1,000,000:", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "bench_pauses.py"),
                        "--database-url", database_for(1_000_000, 500, args.database_url),
                        "--today", args.today.isoformat()], check=True)
        return

    if args.engagements is None and args.database_url:  # bench/run_all.sh's database
        setup_django(args.database_url)
        measure(args.database_url, args.today)
        return
    args.engagements = args.engagements or 1_000_000
    url = database_for(args.engagements, args.companies, args.database_url)
    if seeded(url, args.engagements, args.companies):
        setup_django(url)
    else:
        import seed

        seed_args = ["--engagements", str(args.engagements), "--companies",
                     str(args.companies), "--database-url", url, "--today", args.today.isoformat()]
        base = database_for(100_000, args.companies, args.database_url)
        if args.engagements % 100_000 == 0 and args.engagements > 100_000 and seeded(
                base, 100_000, args.companies):
            # Copies of the 100,000 in SQL: minutes instead of an hour of Python on a
            # loaded machine (bench/seed.py --from-database).
            seed_args += ["--from-database", base.rsplit("/", 1)[-1]]
        seed.main(seed_args)
    figures = measure(url, args.today,
                      label=f"{args.engagements:,} / {args.companies:,} companies")
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    results[f"{args.engagements}/{args.companies}"] = figures
    args.results.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
