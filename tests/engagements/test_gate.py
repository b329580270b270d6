"""
The one gate, `Engagement.objects.restrict(user, action)`, against the seven public queryset
methods it replaced (frozen below as the oracle, as they were before the change): on generated
worlds — companies, locations, global and location administrators, coaches of the owner company
and of coaching providers, coachees, inactive people — every user, and the anonymous visitor,
gets the same rows with the same annotations, the same manageable rows, the same progress
filters and parts. And the outbox's SQL spelling of the rule agrees with the ORM's for every
(user, engagement) pair.
"""

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models import DateField as _DateField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Company, Location, User
from engagements.models import Engagement, Progress
from engagements.visibility import (
    ROLES_MANAGING,
    ROLES_SEEING_PROGRESS,
    by_progress,
    sees_progress_sql,
)
from tests import factories

# -- The oracle: the gate as it was (EngagementQuerySet's methods, frozen) -------------------


def _old_administered(user):
    if not user.company_id:
        return None
    if user.is_global_admin:
        return Q(company_id=user.company_id)
    location_ids = user.administered_location_ids
    if not location_ids:
        return None
    return Q(company_id=user.company_id, location_id__in=location_ids)


def _old_admin_scope(user):
    return _old_administered(user) or Q(pk__in=[])


def _old_with_visibility(qs, *, manage, sees_progress):
    def case(condition, then, default):
        if isinstance(condition, bool):
            return then if condition else default
        return Case(When(condition, then=then), default=default)

    no_date = Value(None, output_field=_DateField())
    return qs.annotate(
        can_manage=case(manage, Value(True), Value(False)),
        can_see_progress=case(sees_progress, Value(True), Value(False)),
        visible_progress=case(sees_progress, F("progress"), Value("hidden")),
        visible_off_track_since=case(sees_progress, F("off_track_since"), no_date),
    )


def old_seen_without_progress(user):
    seen = Q(coachee_id=user.pk)
    if user.is_global_admin and user.company_id:
        seen |= Q(provider_company_id=user.company_id)
    return seen


def old_progress_visible_to(user):
    return _old_admin_scope(user) | Q(coach_id=user.pk)


def old_visible_to(user):
    qs = Engagement.objects.all()
    if not user.is_authenticated or not user.is_active:
        return _old_with_visibility(qs.none(), manage=False, sees_progress=False)
    admin = _old_admin_scope(user)
    sees_progress = old_progress_visible_to(user)
    return _old_with_visibility(qs.filter(sees_progress | old_seen_without_progress(user)),
                                manage=admin, sees_progress=sees_progress)


def old_visible_parts(user):
    qs = Engagement.objects.all()
    if not user.is_authenticated or not user.is_active:
        return None, old_visible_to(user)
    coached = Q(coach_id=user.pk)
    others = qs.filter(coached | old_seen_without_progress(user))
    admin = _old_administered(user)
    if admin is not None:
        others = others.exclude(admin)
    return (None if admin is None else
            _old_with_visibility(qs.filter(admin), manage=True, sees_progress=True),
            _old_with_visibility(others, manage=False, sees_progress=coached))


def old_progress_hidden_from(user):
    return old_seen_without_progress(user) & ~old_progress_visible_to(user)


def old_progress_shown_to(user):
    administered = _old_administered(user)
    if administered is not None and Engagement.objects.filter(administered).exists():
        return ~old_progress_hidden_from(user)
    return old_progress_visible_to(user)


def old_manageable_by(user):
    return old_visible_to(user).filter(can_manage=True)


def old_progress_filter(user, values):
    matches = Q(progress__in=values) & old_progress_shown_to(user)
    if Progress.NOT_TRACKED in values:
        matches |= old_progress_hidden_from(user)
    return matches


def old_off_track_since_order(user):
    if not user.is_authenticated:
        return "visible_off_track_since"
    hidden = Engagement.objects.filter(old_progress_hidden_from(user),
                                       off_track_since__isnull=False)
    return "visible_off_track_since" if hidden.exists() else "off_track_since"


# -- Generated worlds --------------------------------------------------------------------------

OLD_FIELDS = ["pk", "can_manage", "can_see_progress", "visible_progress",
              "visible_off_track_since"]
NEW_FIELDS = ["pk", "can_manage", "sees_progress", "seen_progress", "seen_off_track_since"]

person = st.fixed_dictionaries({
    "company": st.integers(0, 3),  # 3: no company
    "global_admin": st.booleans(),
    # Indexes into all locations of the world: a location of another company may come up.
    "locations": st.lists(st.integers(0, 5), max_size=2, unique=True),
    "status": st.sampled_from(["active", "active", "invited", "inactive", "internal_record"]),
})
engagement = st.fixed_dictionaries({
    "company": st.integers(0, 2),
    "location": st.one_of(st.none(), st.integers(0, 1)),  # one of its own company's
    "coachee": st.integers(0, 99),
    "coach": st.one_of(st.none(), st.integers(0, 99)),
    "owner": st.integers(0, 99),
    "progress": st.sampled_from(Progress.values),
    "ended": st.booleans(),
})
world = st.fixed_dictionaries({
    "people": st.lists(person, min_size=2, max_size=7),
    "engagements": st.lists(engagement, min_size=1, max_size=8),
})


def build(spec):
    companies = [factories.CompanyFactory(plan=Company.Plan.ENTERPRISE) for _ in range(3)]
    locations = [factories.LocationFactory(company=company)
                 for company in companies for _ in range(2)]
    templates = [factories.EngagementTemplateFactory(company=company) for company in companies]
    people = []
    for p in spec["people"]:
        company = companies[p["company"]] if p["company"] < 3 else None
        people.append(factories.UserFactory(
            company=company, is_global_admin=p["global_admin"] and company is not None,
            status=p["status"], administered_locations=[locations[i] for i in p["locations"]],
        ))
    for e in spec["engagements"]:
        company = companies[e["company"]]
        pick = lambda index: people[index % len(people)]  # noqa: E731
        coach = None if e["coach"] is None else pick(e["coach"])
        off = e["progress"] == Progress.OFF_TRACK
        factories.EngagementFactory(
            company=company, template=templates[e["company"]], owner=pick(e["owner"]),
            coachee=pick(e["coachee"]), coach=coach, matching=coach is None,
            location=None if e["location"] is None else locations[2 * e["company"]
                                                                  + e["location"]],
            progress=e["progress"], off_track_since=dt.date(2026, 3, 20) if off else None,
            **({"completed": True} if e["ended"] else {}),
        )
    return people


def fresh(user):
    """The user as a request would load it: nothing cached from the build."""
    return User.objects.get(pk=user.pk)


def rows(queryset, fields):
    return set(queryset.values_list(*fields))


def sql_answers(roles):
    """{(engagement id, user id): bool} of `sees_progress_sql(roles)` for every pair."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, u.id, {sees_progress_sql('e', 'u', roles=roles)} "
            f"FROM {Engagement._meta.db_table} e CROSS JOIN {User._meta.db_table} u"
        )
        return {(e, u): bool(answer) for e, u, answer in cursor.fetchall()}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=world)
def test_the_gate_gives_every_role_what_the_old_methods_gave(db, spec):
    with transaction.atomic():
        people = build(spec)
        # Each value alone, and "not tracked" (which also matches hidden rows) with another.
        all_values = [[value] for value in Progress.values] + [
            [Progress.OFF_TRACK, Progress.NOT_TRACKED]]
        for user in [*map(fresh, people), AnonymousUser()]:
            new = Engagement.objects.restrict(user)
            assert rows(new, NEW_FIELDS) == rows(old_visible_to(user), OLD_FIELDS)
            assert rows(Engagement.objects.restrict(user, "manage"), NEW_FIELDS) == rows(
                old_manageable_by(user), OLD_FIELDS)
            if not user.is_authenticated:
                continue
            progress = by_progress(user)
            for values in all_values:
                assert rows(new.filter(progress.matching(values)), ["pk"]) == rows(
                    old_visible_to(user).filter(old_progress_filter(user, values)), ["pk"])
            assert progress.off_track_since_order().replace("seen_", "visible_") == (
                old_off_track_since_order(user))
            assert rows(new.filter(progress.seen), ["pk"]) == rows(
                old_visible_to(user).filter(old_progress_visible_to(user)), ["pk"])
            assert rows(Engagement.objects.filter(progress.personal), ["pk"]) == rows(
                Engagement.objects.filter(Q(coach_id=user.pk) | old_seen_without_progress(user)),
                ["pk"])
            new_parts = progress.parts(Engagement.objects.all())
            for new_part, old_part in zip(new_parts, old_visible_parts(user), strict=True):
                assert (new_part is None) == (old_part is None)
                if new_part is not None:
                    assert rows(new_part, NEW_FIELDS) == rows(old_part, OLD_FIELDS)
        transaction.set_rollback(True)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=world)
def test_the_outbox_sql_states_the_gates_rule_for_every_role(db, spec):
    """
    For every user who may sign in and every engagement: `sees_progress_sql` is true exactly
    where `restrict(user)` annotates `sees_progress`, and with ROLES_MANAGING exactly for the
    rows of `restrict(user, "manage")` (the outbox nudges an owner as administrator on it).
    """
    with transaction.atomic():
        build(spec)
        sees = sql_answers(ROLES_SEEING_PROGRESS)
        manages = sql_answers(ROLES_MANAGING)
        engagement_ids = list(Engagement.objects.values_list("pk", flat=True))
        for user in User.objects.filter(is_active=True):
            seen = {pk for pk, s in Engagement.objects.restrict(user).values_list(
                "pk", "sees_progress") if s}
            managed = set(Engagement.objects.restrict(user, "manage").values_list(
                "pk", flat=True))
            for pk in engagement_ids:
                assert sees[pk, user.pk] == (pk in seen), (pk, user)
                assert manages[pk, user.pk] == (pk in managed), (pk, user)
        transaction.set_rollback(True)


def test_restrict_refuses_an_unknown_action(global_admin):
    try:
        Engagement.objects.restrict(global_admin, "delete")
    except ValueError:
        return
    raise AssertionError("an unknown action must not read as 'view'")


def test_a_location_of_another_company_grants_nothing(owner_company, other_company):
    """An administered location of another company (bad data) is not a way in."""
    elsewhere = factories.LocationFactory(company=other_company)
    admin = factories.UserFactory(company=owner_company, administered_locations=[elsewhere])
    factories.EngagementFactory(company=other_company, location=elsewhere)
    assert Location.objects.filter(administrators=admin).exists()
    assert not Engagement.objects.restrict(fresh(admin)).exists()
    answers = sql_answers(ROLES_SEEING_PROGRESS)
    assert not any(seen for (_, user_id), seen in answers.items() if user_id == admin.pk)
