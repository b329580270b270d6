"""
A realistic demo data set showing every state: an enterprise company with locations, a
standard company, and a coaching provider whose coaches coach the other two. Running it
again changes nothing: everything is keyed on slugs and emails, and engagements are only
created for a company that has none.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Company, Location
from engagements import actions
from engagements.models import (
    CoachSelection,
    DiscoveryCall,
    Engagement,
    Goal,
    Message,
    Pause,
    Session,
)
from templates_app.models import EngagementKind, EngagementTemplate, ThresholdUnit

User = get_user_model()
PASSWORD = "optify-demo-2026"
# Days of progress history the demo is evaluated over: the Report's twelve weeks.
HISTORY_DAYS = 84

FIRST = ["Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
         "Kemi", "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara",
         "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe"]
LAST = ["Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Haddad", "Lindqvist", "Moreau",
        "Patel", "Kowalski", "Adeyemi", "Rossi", "Nakamura", "Fischer", "Costa", "O'Neill"]

COMPANIES = [
    # slug, name, plan, timezone, locations
    ("northwind", "Northwind Health", Company.Plan.ENTERPRISE, "Europe/London",
     ["London", "Manchester", "Dublin"]),
    ("bluebird", "Bluebird Labs", Company.Plan.STANDARD, "America/Los_Angeles", []),
    ("summit", "Summit Coaching", Company.Plan.STANDARD, "America/New_York", []),
]

TEMPLATES = [
    # name, kind, threshold days, unit, notifications
    ("Leadership 1:1 (3 weeks)", EngagementKind.ONE_ON_ONE, 21, ThresholdUnit.WEEKS, True),
    ("New manager 1:1 (14 days)", EngagementKind.ONE_ON_ONE, 14, ThresholdUnit.DAYS, True),
    ("On-demand support", EngagementKind.ON_DEMAND, 30, ThresholdUnit.DAYS, False),
    ("Coach matching (2 weeks)", EngagementKind.COACH_MATCHING, 14, ThresholdUnit.WEEKS, True),
    ("Executive coaching (untracked)", EngagementKind.ONE_ON_ONE, None, ThresholdUnit.DAYS, False),
]

# A few engagements get goals and a message thread, so that `make run` shows them.
GOALS = [
    ("Delegate the weekly report to the team", "Hand it over by the end of the quarter."),
    ("Hold a one-to-one with each report every fortnight", ""),
    ("Speak first in one leadership meeting a week", "Start with the Monday stand-up."),
]
THREAD = [
    # who, hours before now, what
    ("coach", 96, "Welcome! Before our first session, note two situations from this week "
                  "you would like to have handled differently."),
    ("coachee", 95, "Thanks, I have two already. Could we spend the first half on "
                    "delegation?"),
    ("coach", 94, "Of course. Bring the weekly report: we will start there."),
    ("owner", 30, "Glad to see this under way. Tell me if you need anything from us."),
    ("coachee", 2, "Quick update: the team ran the report on their own this week!"),
]


class Command(BaseCommand):
    help = "Load a realistic demo data set (idempotent) and print one sign-in per role."

    def add_arguments(self, parser):
        parser.add_argument("--engagements", type=int, default=150,
                            help="Engagements per client company (default 150, ~300 in all).")

    def handle(self, *args, **options):
        self.rng = random.Random(2026)
        # One hash for every demo user: hashing is deliberately slow, ~0.5 s each.
        self.password_hash = make_password(PASSWORD)
        with transaction.atomic():
            companies = {slug: self.company(slug, name, plan, tz, locations)
                         for slug, name, plan, tz, locations in COMPANIES}
            coaches = self.coaches(companies["summit"])
            provider_admin = self.user(companies["summit"], "admin@summit.example",
                                       "Sam Summit", is_global_admin=True)
            created = 0
            for slug in ("northwind", "bluebird"):
                created += self.populate(companies[slug], coaches, options["engagements"])
        # The history is played once, when the demo is loaded: played again on a later run
        # (`make run` seeds every time), its first passes would meet today's statuses and
        # record flips back in time.
        self.evaluate_progress(history=bool(created))
        self.pauses()
        self.print_sign_ins(provider_admin)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo engagements."))
        else:
            self.stdout.write("Demo data already present; nothing added.")

    # -- people and companies ------------------------------------------------------------

    def company(self, slug, name, plan, tz, location_names):
        company, _ = Company.objects.get_or_create(
            slug=slug, defaults={"name": name, "plan": plan, "timezone": tz,
                                 # Bluebird works in Spanish: its pages and nudges show it.
                                 "language": "es" if slug == "bluebird" else "en"}
        )
        for location_name in location_names:
            Location.objects.get_or_create(company=company, name=location_name)
        return company

    def user(self, company, email, full_name, status=User.Status.ACTIVE, **extra):
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"full_name": full_name, "company": company, "status": status, **extra},
        )
        if created:
            if status in (User.Status.ACTIVE, User.Status.INVITED):
                user.password = self.password_hash
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def coaches(self, provider):
        return [
            self.user(provider, f"coach{i}@summit.example", f"{FIRST[i]} {LAST[i]}")
            for i in range(8)
        ]

    def random_name(self):
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    # -- engagements -----------------------------------------------------------------------

    def populate(self, company, coaches, count):
        if company.engagements.exists():
            return 0
        today = company.local_today()
        slug = company.slug
        admin = self.user(company, f"admin@{slug}.example", self.random_name(),
                          is_global_admin=True)
        locations = list(company.locations.all())
        location_admins = []
        for location in locations[:1]:
            location_admin = self.user(
                company, f"{location.name.lower()}-admin@{slug}.example", self.random_name(),
            )
            location_admin.administered_locations.add(location)
            location_admins.append(location_admin)
        # Some of the company's own staff coach too. (Hostile names — markup, quotes,
        # formulas — are the tests' business: tests/hardening/.)
        coaches = coaches + [self.user(company, f"coach@{slug}.example", self.random_name())]
        templates = [
            EngagementTemplate.objects.get_or_create(
                company=company, name=name,
                defaults={"kind": kind, "tracking_threshold_days": days,
                          "tracking_threshold_unit": unit,
                          "offtrack_notifications_enabled": notify},
            )[0]
            for name, kind, days, unit, notify in TEMPLATES
        ]
        statuses = [User.Status.ACTIVE] * 6 + [User.Status.INVITED] * 2 + [
            User.Status.INTERNAL_RECORD]
        coachees = []
        for i in range(count):
            name = self.random_name()
            coachees.append(self.user(
                company, f"client{i}@{slug}.example", name, status=self.rng.choice(statuses)
            ))
        sessions, calls = [], []
        for coachee in coachees:
            template = self.rng.choice(templates)
            engagement = self.engagement(company, template, coachee, admin, locations, coaches,
                                         today)
            self.events(engagement, coaches, today, sessions, calls)
        Session.objects.bulk_create(sessions)
        DiscoveryCall.objects.bulk_create(calls)
        self.goals_and_messages(company, coaches[0])
        return count

    def engagement(self, company, template, coachee, admin, locations, coaches, today):
        rng = self.rng
        started_on = today - dt.timedelta(days=rng.randint(3, 200))
        status = rng.choices(
            [Engagement.Status.ACTIVE, Engagement.Status.ENDED_EARLY,
             Engagement.Status.COMPLETED, Engagement.Status.DRAFT],
            weights=[80, 8, 10, 2],
        )[0]
        kind = template.kind
        if kind == EngagementKind.COACH_MATCHING and status == Engagement.Status.ACTIVE:
            status = rng.choice([Engagement.Status.ACTIVE, Engagement.Status.COACH_MATCHING])
        fields = {
            "company": company, "owner": admin, "template": template, "kind": kind,
            "coachee": coachee, "status": status,
            "location": rng.choice(locations) if locations else None,
            "coach": None if status == Engagement.Status.COACH_MATCHING else rng.choice(coaches),
            **template.tracking_snapshot(),
        }
        if status != Engagement.Status.DRAFT:
            fields["started_on"] = started_on
            fields["launched_at"] = timezone.make_aware(
                dt.datetime.combine(started_on, dt.time(9)), company.tzinfo
            )
        if status in (Engagement.Status.ENDED_EARLY, Engagement.Status.COMPLETED):
            fields["ended_on"] = min(today, started_on + dt.timedelta(days=rng.randint(1, 150)))
            fields["ended_by"] = admin
            fields["ended_at"] = timezone.make_aware(
                dt.datetime.combine(fields["ended_on"], dt.time(17)), company.tzinfo
            )
        if status == Engagement.Status.ENDED_EARLY:
            fields["end_reason"] = rng.choice(Engagement.EndReason.values[:-1])
        engagement = Engagement.objects.create(**fields)
        if kind == EngagementKind.COACH_MATCHING and status == Engagement.Status.ACTIVE:
            CoachSelection.objects.create(
                engagement=engagement, coach=engagement.coach, selected_by=admin,
                selected_on=min(today, started_on + dt.timedelta(days=rng.randint(3, 20))),
            )
        return engagement

    def events(self, engagement, coaches, today, sessions, calls):
        """Sessions (or discovery calls) spread from the start to a little after today."""
        if engagement.status == Engagement.Status.DRAFT:
            return
        rng = self.rng
        tz = engagement.company.tzinfo
        last = engagement.ended_on or today + dt.timedelta(days=30)
        if rng.random() < 0.3:
            # Stalled: nothing scheduled after some day in the past.
            last = min(last, today - dt.timedelta(days=rng.randint(10, 60)))
        matching = engagement.status == Engagement.Status.COACH_MATCHING
        day = engagement.started_on
        # A rhythm per engagement: some keep a steady cadence, some stall (and go off track).
        cadence = rng.choice([7, 10, 14, 21, 35, 60])
        while True:
            day += dt.timedelta(days=rng.randint(max(1, cadence - 4), cadence + 4))
            if day > last:
                break
            starts_at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(rng.choice([9, 11, 14, 16]))), tz
            )
            if day < today:
                status = rng.choices(["completed", "cancelled"], weights=[85, 15])[0]
            else:
                status = rng.choices(["scheduled", "cancelled"], weights=[90, 10])[0]
                if engagement.is_ended:
                    status = "cancelled"
            cancelled_at = (starts_at - dt.timedelta(days=rng.randint(0, 3))
                            if status == "cancelled" else None)
            if matching:
                calls.append(DiscoveryCall(engagement=engagement, coach=rng.choice(coaches),
                                           starts_at=starts_at, status=status,
                                           cancelled_at=cancelled_at))
            else:
                sessions.append(Session(engagement=engagement, starts_at=starts_at,
                                        status=status, cancelled_at=cancelled_at))

    def goals_and_messages(self, company, first_coach):
        """Goals and a thread for the first coachees who sign in, and for the first coach."""
        shown = Engagement.objects.filter(
            company=company, coach__isnull=False, coachee__status=User.Status.ACTIVE,
        ).select_related("coachee", "coach", "owner").order_by("pk")
        running = shown.filter(status=Engagement.Status.ACTIVE)
        ended = shown.filter(status__in=[Engagement.Status.COMPLETED,
                                         Engagement.Status.ENDED_EARLY])
        chosen = {}
        for engagement in [*running[:6], *ended[:2], *running.filter(coach=first_coach)[:3]]:
            chosen.setdefault(engagement.pk, engagement)
        now = timezone.now()
        goals, thread = [], []
        for engagement in chosen.values():
            # An ended engagement's thread and goals are from before its end.
            base = min(now, engagement.ended_at or now)
            start = engagement.launched_at or base

            def after_start(moment, start=start):
                return max(moment, start)

            for i, (title, detail) in enumerate(GOALS):
                achieved = engagement.is_ended or i == 1
                goals.append(Goal(
                    engagement=engagement, title=title, detail=detail,
                    created_by=engagement.coachee if i % 2 == 0 else engagement.coach,
                    created_at=after_start(base - dt.timedelta(days=20 - i)), updated_at=base,
                    achieved_at=base - dt.timedelta(days=3) if achieved else None,
                    achieved_by=engagement.coachee if achieved else None))
            people = {"coach": engagement.coach, "coachee": engagement.coachee,
                      "owner": engagement.owner}
            for who, hours, body in THREAD:
                author = people[who]
                thread.append(Message(engagement=engagement, author=author,
                                      author_name=str(author), body=body,
                                      created_at=after_start(base - dt.timedelta(hours=hours))))
        Goal.objects.bulk_create(goals)
        Message.objects.bulk_create(thread)

    def evaluate_progress(self, history=True):
        from tracking.evaluation import evaluate_companies
        from tracking.jobs import run_daily_evaluation
        from tracking.models import ProgressTransition

        # Evaluated once a week over the Report's twelve weeks (day by day would take ~40 s
        # on SQLite), so that the progress history and the Report's trend have something to
        # show. The last week is left to today's daily run, as the scheduler would run it: the
        # engagements that went off track during it are nudged, and the emails land under
        # var/mail/ for a first reader of `make run`, without anyone moving the clock.
        today = timezone.localdate()
        for days_ago in range(HISTORY_DAYS, 0, -7) if history else ():
            evaluate_companies(today - dt.timedelta(days=days_ago),
                               cause=ProgressTransition.Cause.DAILY)
        # An engagement launched between two weekly passes is not tracked before its start
        # (rule 8): the passes before it record nothing for it, as a real daily run would.
        for company in Company.objects.order_by("slug"):
            run_daily_evaluation(company, company.local_today())
        # Then everything once more for today (what the daily run does not pick, such as
        # engagements that started this week), so that every row shows today's status.
        counts = evaluate_companies(cause=ProgressTransition.Cause.DAILY)
        self.stdout.write(f"Progress: {counts.on_track} on track, {counts.off_track} off track, "
                          f"{counts.paused} paused, {counts.not_tracked} not tracked.")

    def pauses(self):
        """
        One engagement paused for leave, and a coach's request for a pause waiting for the
        administrator, both coached by the demo coach: set through the actions, like anyone
        would on the engagement page (audited, evaluated at once). Once only.
        """
        company = Company.objects.get(slug="northwind")
        if Pause.objects.filter(engagement__company=company).exists():
            return
        today = company.local_today()
        admin = User.objects.get(email="admin@northwind.example")
        coach = User.objects.get(email="coach0@summit.example")
        candidates = list(
            Engagement.objects.filter(company=company, coach=coach, status=Engagement.Status.ACTIVE,
                                      tracking_threshold_days__isnull=False,
                                      started_on__lte=today - dt.timedelta(days=7))
            .order_by("pk")[:2])
        if len(candidates) < 2:
            return
        paused, asked = candidates
        actions.do_pause_engagement(
            paused, by=admin, starts_on=today - dt.timedelta(days=3),
            ends_on=today + dt.timedelta(days=10), reason=Pause.Reason.LEAVE,
            note="Parental leave; back on the 1st.")
        actions.do_request_pause(
            asked, by=coach, starts_on=today + dt.timedelta(days=14),
            ends_on=today + dt.timedelta(days=20), reason=Pause.Reason.HOLIDAY,
            note="Away for the school holidays.")
        self.stdout.write(f"Pauses: {paused.coachee} paused until "
                          f"{today + dt.timedelta(days=10):%-d %b}; {asked.coachee}'s coach "
                          "asks for a pause.")

    def print_sign_ins(self, provider_admin):
        # Read back, not spelled out: the location administrator is made for the company's
        # first location by name (Dublin), which a hard-coded "london-admin" got wrong.
        location = (Location.objects.filter(company__slug="northwind")
                    .exclude(administrators=None).order_by("name").first())
        location_admin = location.administrators.order_by("pk").first() if location else None
        rows = [
            ("Global administrator (enterprise)", "admin@northwind.example"),
            (f"Location administrator ({location.name if location else '-'})",
             location_admin.email if location_admin else "-"),
            ("Global administrator (standard, Spanish)", "admin@bluebird.example"),
            ("Coach (provider company)", "coach0@summit.example"),
            ("Coaching-provider administrator", provider_admin.email),
            ("Coachee", self.a_coachee_email()),
        ]
        self.stdout.write(f"\nDemo sign-ins (password for all: {PASSWORD})")
        for role, email in rows:
            self.stdout.write(f"  {role:<36} {email}")
        self.stdout.write("")

    def a_coachee_email(self):
        # One whose home has something to show: running, with goals and messages.
        engagement = (Engagement.objects.filter(company__slug="northwind",
                                                coachee__status=User.Status.ACTIVE,
                                                status=Engagement.Status.ACTIVE,
                                                goals__isnull=False)
                      .select_related("coachee").order_by("pk").first())
        return engagement.coachee.email if engagement else "-"
