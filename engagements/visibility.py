"""
The tenancy gate: who may see an engagement, who may manage it, who sees its progress.

DESIGN.md, "Who may see progress": On/Off Track and Off Track Since are shown only to the
administrators of the engagement owner's company (global administrators for all of its
engagements, location administrators for their locations' engagements) and the engagement's
coach. Anyone else who can see the row — its coachee, a global administrator of the coach's own
company (a coaching provider) — sees "-". Administrators in scope also manage the engagement.

Everything public here is reached through two doors:

- `restrict(queryset, user, action)`, behind `Engagement.objects.restrict(user, action)`
  (NetBox's `RestrictedQuerySet.restrict`): the rows `user` may "view" or "manage", annotated
  with `sees_progress`, `can_manage`, and what the viewer is shown — `seen_progress` ("hidden"
  where `sees_progress` is false) and `seen_off_track_since` (NULL there);
- `by_progress(user)`: the conditions for filtering, sorting and counting restricted rows by
  progress, spelled the ways PostgreSQL plans well (see `ProgressConditions`).

The rule is written once, as `ROLES_SEEING_PROGRESS`; `_sees_progress(user)` reads it for one
known user (the ORM's conditions) and `sees_progress_sql()` for a user column (the outbox's raw
SQL). tests/engagements/test_gate.py holds the two to the same answers for every role.

Nothing here imports the models: `engagements/models.py` builds its queryset's `restrict` on it.
"""

from typing import NamedTuple

from django.apps import apps
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.functional import cached_property

# What a viewer who may not see an engagement's progress gets instead of it ("-").
PROGRESS_HIDDEN = "hidden"

ACTIONS = ("view", "manage")

# Who sees an engagement's progress, one role a line. The first two also manage it.
GLOBAL_ADMIN = "global administrator of the owner company"
LOCATION_ADMIN = "administrator of the engagement's location"
COACH = "the engagement's coach"
ROLES_SEEING_PROGRESS = (GLOBAL_ADMIN, LOCATION_ADMIN, COACH)
ROLES_MANAGING = (GLOBAL_ADMIN, LOCATION_ADMIN)


class VisibleParts(NamedTuple):
    administered: "models.QuerySet | None"
    others: "models.QuerySet"


# -- The rule, for one known user (ORM conditions) -----------------------------------------


def _administered(user):
    """The rows `user` manages as an owner-company administrator, or None if none at all."""
    if not user.company_id:
        return None
    if user.is_global_admin:  # GLOBAL_ADMIN; it covers LOCATION_ADMIN too
        return Q(company_id=user.company_id)
    # LOCATION_ADMIN. A list (one query, cached for the request), not a subquery: with a
    # subquery inside the OR of the gate PostgreSQL checks every row; with a list, and none
    # at all for a coach, every arm of the OR is an index lookup.
    location_ids = user.administered_location_ids
    if not location_ids:
        return None
    return Q(company_id=user.company_id, location_id__in=location_ids)


def _admin_scope(user):
    return _administered(user) or Q(pk__in=[])


def _sees_progress(user):
    """The condition `sees_progress` annotates: ROLES_SEEING_PROGRESS for `user`."""
    return _admin_scope(user) | Q(coach_id=user.pk)  # COACH


def _seen_without_progress(user):
    """Rows `user` sees as their coachee or as a coaching provider's administrator."""
    seen = Q(coachee_id=user.pk)
    if user.is_global_admin and user.company_id:
        seen |= Q(provider_company_id=user.company_id)
    return seen


def _progress_hidden(user):
    """
    Among the rows visible to `user`, those whose progress shows as "-". Said as a condition
    of its own (not as "not _sees_progress") so that a filter on progress does not repeat the
    gate's condition, which would make PostgreSQL's row estimate the product of the two and
    its plans those for a handful of rows.
    """
    return _seen_without_progress(user) & ~_sees_progress(user)


def _progress_shown(user):
    """
    Among the rows visible to `user`, those whose progress they see: one set, spelled the
    way PostgreSQL plans best for this viewer. For someone who administers engagements, "not
    hidden" (see _progress_hidden). For anyone else, "coached by them" (`_sees_progress`), an
    index lookup: said as "not hidden", a provider's administrator, who sees no progress at
    all, had an Off Track filter read every off-track row of every tenant for the ones they
    see (1 s at 1,000,000 rows).
    """
    administered = _administered(user)
    engagements = apps.get_model("engagements", "Engagement").objects
    if administered is not None and engagements.filter(administered).exists():
        return ~_progress_hidden(user)
    return _sees_progress(user)


def _annotate(queryset, *, manage, sees_progress):
    """The gate's annotations; a condition may be True or False, for every row."""

    def case(condition, then, default):
        if isinstance(condition, bool):
            return then if condition else default
        return Case(When(condition, then=then), default=default)

    no_date = Value(None, output_field=models.DateField())
    return queryset.annotate(
        can_manage=case(manage, Value(True), Value(False)),
        sees_progress=case(sees_progress, Value(True), Value(False)),
        seen_progress=case(sees_progress, F("progress"), Value(PROGRESS_HIDDEN)),
        seen_off_track_since=case(sees_progress, F("off_track_since"), no_date),
    )


def _visible_parts(queryset, user):
    """
    `restrict(queryset, user)` as two disjoint querysets with its annotations, for statements
    that aggregate over every visible row: `administered`, the rows `user` administers (None
    if none), where the annotations are constants or stored columns, so that an index can
    answer without reading the table (the gate's OR rules that out); and `others`, what they
    see as coach, coachee or a coaching provider's administrator, usually a few rows.
    """
    if not _signed_in(user):
        return VisibleParts(None, restrict(queryset, user))
    coached = Q(coach_id=user.pk)
    others = queryset.filter(coached | _seen_without_progress(user))
    admin = _administered(user)
    if admin is not None:
        others = others.exclude(admin)
    return VisibleParts(
        administered=(None if admin is None else
                      _annotate(queryset.filter(admin), manage=True, sees_progress=True)),
        others=_annotate(others, manage=False, sees_progress=coached),
    )


def _signed_in(user):
    return user.is_authenticated and user.is_active


# -- The public doors ------------------------------------------------------------------------


def restrict(queryset, user, action="view"):
    """
    The rows of `queryset` on which `user` may do `action`, with the gate's annotations:

    - "view": what they may see at all — owner-company administrators in scope, the coach,
      global administrators of the coach's own company (a coaching provider) and the coachee;
    - "manage": what they may change — owner-company administrators in scope.

    Annotated with `sees_progress` (ROLES_SEEING_PROGRESS), `can_manage` (ROLES_MANAGING),
    `seen_progress` and `seen_off_track_since`: progress as this viewer is shown it, which is
    what pages show, filter and sort on. Anonymous and inactive users get no rows.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}: one of {ACTIONS}.")
    if not _signed_in(user):
        return _annotate(queryset.none(), manage=False, sees_progress=False)
    if action == "manage":
        return _annotate(queryset.filter(_admin_scope(user)), manage=True, sees_progress=True)
    sees_progress = _sees_progress(user)
    return _annotate(
        queryset.filter(sees_progress | _seen_without_progress(user)),
        manage=_admin_scope(user), sees_progress=sees_progress,
    )


def by_progress(user):
    """
    How to filter, sort and count `user`'s restricted rows by progress: see ProgressConditions.
    Make one per request (a filterset keeps one): `shown` costs a query, then is remembered.
    """
    return ProgressConditions(user)


class ProgressConditions:
    """
    Conditions on rows already restricted to `user` (`restrict(user)`), on the stored
    columns rather than on the `seen_*` annotations, so that PostgreSQL can estimate them and
    use its indexes. They are the annotations' rule in other spellings, one per question:

    - `seen`: the rows whose progress `user` sees — exactly what `sees_progress` annotates;
      cheap to build, a coach's is one index lookup (the emails read it);
    - `shown`: the same rows, spelled for a list's filter (one query decides the spelling);
    - `hidden`: the rows that show "-" to `user`;
    - `matching(values)`: rows whose `seen_progress` is one of `values`, a hidden row counting
      as "not tracked", which is what it shows;
    - `off_track_since_order()`: the field to sort "Off track since" by;
    - `personal`: the rows `user` sees as coach, coachee or provider administrator;
    - `parts(queryset)`: the gate split in two for counting (see `_visible_parts`).
    """

    def __init__(self, user):
        self.user = user

    @property
    def seen(self):
        return _sees_progress(self.user)

    @cached_property
    def shown(self):
        return _progress_shown(self.user)

    @property
    def hidden(self):
        return _progress_hidden(self.user)

    @property
    def personal(self):
        return Q(coach_id=self.user.pk) | _seen_without_progress(self.user)

    def any_seen(self, engagements):
        """
        Whether `user` sees the progress of any of `engagements` (an unrestricted manager):
        one indexed lookup per arm of `seen`. Asked as one OR under LIMIT 1, PostgreSQL read
        the whole table for a viewer who sees none, a provider's administrator (0.7 s of
        every page of theirs at 1,000,000 rows).
        """
        return (engagements.filter(_admin_scope(self.user)).exists()
                or engagements.filter(coach_id=self.user.pk).exists())

    def matching(self, values, *, not_tracked="not_tracked"):
        matches = Q(progress__in=values) & self.shown
        if not_tracked in values:
            matches |= self.hidden
        return matches

    def off_track_since_order(self):
        """
        The stored `off_track_since` when this viewer sees the off-track date of every row that
        has one (one indexed query to find out; true of most administrators and coaches): then
        it gives the same order as `seen_off_track_since`, and PostgreSQL can read that order
        from an index instead of sorting the tenant (eng_off_track_since_desc). Otherwise the
        per-viewer CASE, so that the order never reveals a hidden date.
        """
        if not self.user.is_authenticated:
            return "seen_off_track_since"
        engagements = apps.get_model("engagements", "Engagement").objects
        hidden_dates = engagements.filter(self.hidden, off_track_since__isnull=False)
        return "seen_off_track_since" if hidden_dates.exists() else "off_track_since"

    def parts(self, queryset):
        return _visible_parts(queryset, self.user)


# -- The rule, for a user column (raw SQL) ---------------------------------------------------


def _role_sql(role, engagement, user, admin_locations):
    same_company = f"{user}.company_id = {engagement}.company_id"
    if role == GLOBAL_ADMIN:
        return f"({same_company} AND {user}.is_global_admin)"
    if role == LOCATION_ADMIN:
        return (f"({same_company} AND EXISTS (SELECT 1 FROM {admin_locations} al "
                f"WHERE al.user_id = {user}.id AND al.location_id = {engagement}.location_id))")
    if role == COACH:
        return f"{engagement}.coach_id = {user}.id"
    raise ValueError(role)


def sees_progress_sql(engagement="e", user="u", roles=ROLES_SEEING_PROGRESS):
    """
    The same rule as SQL: true when the user row aliased `user` sees the progress of the
    engagement row aliased `engagement` (or, with `roles=ROLES_MANAGING`, manages it). The
    engagement alias needs `company_id`, `location_id` and `coach_id`; the user alias `id`,
    `company_id` and `is_global_admin`. Whether the user may sign in at all is the caller's.
    """
    User = apps.get_model("accounts", "User")
    admin_locations = User.administered_locations.through._meta.db_table
    return "(" + " OR ".join(_role_sql(role, engagement, user, admin_locations)
                             for role in roles) + ")"
