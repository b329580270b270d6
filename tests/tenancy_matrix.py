"""
The tenant-isolation matrix: for every named URL of the project, what each role gets.

`tests/test_tenancy_matrix.py` walks the URL configuration and fails for any URL name that has
no entry here, so a page added later must say who may reach it. To add a URL, add an `Entry`:

    "app:name": Entry(expect(G=200, L=200, others=404)),

- `args(ctx)` builds the URL's arguments from the standing objects (`ctx.engagement`,
  `ctx.template`); an unknown id (`MISSING`) is fine where a real object is not needed.
- `method` is "get" or "post" (POSTs send `data`, with CSRF checks off as in every test);
  `data` may be a callable(ctx) -> dict. A second entry for the same URL (the API's GET and
  POST on one address) is keyed "name POST".
- `expect(...)` takes role initials: G global admin of the owner company, L location admin of
  the engagement's location, OL location admin of another location, C the coach (another
  company), P the coach company's global admin, CE the coachee, O another company's admin,
  A anonymous; `others=` is everyone not named.
- `progress` names the roles that see the standing engagement's progress on that page (its
  off-track-since date, 23 March 2026, appears only for them); None means "not checked".
"""

from dataclasses import dataclass, field

ROLES = {
    "G": "global_admin", "L": "location_admin", "OL": "other_location_admin", "C": "coach",
    "P": "provider_admin", "CE": "coachee", "O": "other_admin", "A": "anonymous",
}
MISSING = 987654321
SEES_PROGRESS = frozenset({"G", "L", "C"})


def expect(others=None, **codes):
    unknown = set(codes) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: codes.get(role, others) for role in ROLES}


def signed_in(code, anonymous=302):
    """`code` for every signed-in role; anonymous visitors go to sign in."""
    return expect(others=code, A=anonymous)


def api(code):
    """`code` for every signed-in role; the API tells anonymous callers 401."""
    return expect(others=code, A=401)


@dataclass(frozen=True)
class Entry:
    codes: dict
    args: object = None  # callable(ctx) -> list
    method: str = "get"
    data: object = field(default_factory=dict)  # a dict, or callable(ctx) -> dict
    progress: frozenset | None = None


def eng(ctx):
    return [ctx.engagement.pk]


def tmpl(ctx):
    return [ctx.template.pk]


def missing(ctx):
    return [MISSING]


def person(ctx):
    """The standing engagement's coachee: of Acme, in London through the engagement."""
    return [ctx.engagement.coachee_id]


def acme_location(ctx):
    return [ctx.engagement.location_id]


def session(ctx):
    """The standing engagement and a session of it held in the past (so it may be marked held)."""
    from tests import factories

    held = factories.SessionFactory(engagement=ctx.engagement)
    return [ctx.engagement.pk, held.pk]


def upcoming_session(ctx):
    """The standing engagement and a session of it still to come (its coachee may cancel it)."""
    import datetime as dt

    from django.utils import timezone

    from tests import factories

    ahead = factories.SessionFactory(engagement=ctx.engagement,
                                     starts_at=timezone.now() + dt.timedelta(days=30))
    return [ctx.engagement.pk, ahead.pk]


def call(ctx):
    """A discovery call of the standing engagement (active: calls cannot change any more)."""
    from tests import factories

    return [ctx.engagement.pk, factories.DiscoveryCallFactory(engagement=ctx.engagement).pk]


def pause(status):
    """The standing engagement and a pause of it, far ahead: approved, or a coach's request."""

    def make(ctx):
        import datetime as dt

        from tests import factories

        made = factories.PauseFactory(engagement=ctx.engagement, status=status,
                                      starts_on=dt.date(2030, 2, 1), ends_on=dt.date(2030, 2, 5),
                                      requested_by=ctx.engagement.coach)
        return [ctx.engagement.pk, made.pk]

    return make


PAUSE_DAYS = {"starts_on": "2030-01-01", "ends_on": "2030-01-05", "reason": "leave"}


def hook(ctx):
    """A webhook endpoint of Acme, the standing engagement's company."""
    from notifications.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(company=ctx.engagement.company, secret="whsec_x",
                                              url="https://hooks.example.com/", events=",")
    return [endpoint.pk]


def hook_delivery(ctx):
    return [*hook(ctx), MISSING]


# Webhooks (issue 16): a company's global administrators; an endpoint of another company 404.
ACME_HOOK = expect(G=200, P=404, O=404, others=403, A=302)
ACME_HOOK_POST = expect(G=302, P=404, O=404, others=403, A=302)


def session_id(ctx):
    """The API's address of a session: its id alone (a past one, so it may be marked held)."""
    return session(ctx)[1:]


def call_id(ctx):
    return call(ctx)[1:]


def goal(ctx):
    """The standing engagement and a goal its coachee set."""
    from tests import factories

    return [ctx.engagement.pk, factories.GoalFactory(engagement=ctx.engagement).pk]


MATRIX = {
    # Project and accounts.
    # Each person's home (issue 19): the standing engagement is off track since 23 March; its
    # administrators see it in "needs attention", its coach on "My coachees".
    "home": Entry(signed_in(200), progress=SEES_PROGRESS),
    "healthz": Entry(expect(others=200)),
    "metrics": Entry(expect(others=404)),  # off without METRICS_TOKEN (tests/ops/test_metrics.py)
    "help": Entry(expect(others=200)),
    "accounts:login": Entry(expect(others=302, A=200)),
    "accounts:logout": Entry(expect(others=405)),
    "accounts:password_reset": Entry(expect(others=200)),
    "accounts:password_reset_done": Entry(expect(others=200)),
    "accounts:password_reset_confirm": Entry(expect(others=200), args=lambda ctx: ["x", "y"]),
    "accounts:password_reset_complete": Entry(expect(others=200)),
    "accounts:accept_invitation": Entry(expect(others=400), args=lambda ctx: ["x", "y"]),
    # Settings' language form: an empty POST is refused with a message, back to Settings.
    "accounts:language": Entry(signed_in(302), method="post"),
    # The Engagements page and the engagement page (issue 5).
    "engagements:list": Entry(signed_in(200), progress=SEES_PROGRESS),
    "engagements:detail": Entry(expect(G=200, L=200, C=200, P=200, CE=200, OL=404, O=404,
                                       A=302), args=eng, progress=SEES_PROGRESS),
    # An empty POST: those allowed get the form back with errors (400); those who only read
    # the engagement 403; those who do not see it 404 (the rule of lifecycle.get_manageable).
    "engagements:schedule_session": Entry(
        expect(G=400, L=400, C=400, P=403, CE=403, OL=404, O=404, A=302), args=eng,
        method="post"),
    # The standing engagement is active, not coach matching: its administrators are sent back
    # to it with the reason (302); the coach, coachee and provider admin may not (403).
    "engagements:schedule_call": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302), args=eng,
        method="post"),
    "engagements:select_coach": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302), args=eng,
        method="post"),
    "engagements:table_columns": Entry(signed_in(302), args=lambda ctx: ["EngagementTable"],
                                       method="post", data={"reset": "1"}),
    # Ending and billing (issue 6); the rule is explained in lifecycle.get_manageable. Seen
    # but not manageable (coach, coachee, the coach company's admin): 403; not seen at all:
    # 404. Billing (global admins) and the "ready to complete" hint (admins) are per company:
    # other companies' admins get their own (empty) page, other signed-in users 403.
    "engagements:end_early": Entry(expect(G=200, L=200, C=403, P=403, CE=403, OL=404, O=404,
                                          A=302), args=eng),
    "engagements:mark_complete": Entry(expect(G=200, L=200, C=403, P=403, CE=403, OL=404,
                                              O=404, A=302), args=eng),
    # An empty selection: back to the list with a message (anonymous: to sign in).
    "engagements:bulk_action": Entry(expect(others=302), method="post"),
    "engagements:ready_to_complete": Entry(expect(G=200, L=200, OL=200, P=200, O=200,
                                                  C=403, CE=403, A=302)),
    "reports:billing": Entry(expect(G=200, P=200, O=200, others=403, A=302)),
    "reports:billing_csv": Entry(expect(G=200, P=200, O=200, others=403, A=302)),
    # Keeping it current (issue 14). Drafts: company administrators (others 404, as for
    # templates). Edit and launch follow the engagement page's rule: unseen 404, readers 403;
    # the standing engagement is active, so launching it sends its managers back with why.
    "engagements:create": Entry(expect(G=200, L=200, OL=200, P=200, O=200, others=404,
                                       A=302)),
    "engagements:edit": Entry(expect(G=200, L=200, C=403, P=403, CE=403, OL=404, O=404,
                                     A=302), args=eng),
    "engagements:launch": Entry(expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404,
                                       A=302), args=eng, method="post"),
    # Sessions: its coach and its managers (an empty POST is the form again, 400; held: done,
    # 302); the coachee and the coach company's admin read only (403); notes: the coach only.
    "engagements:complete_session": Entry(
        expect(G=302, L=302, C=302, P=403, CE=403, OL=404, O=404, A=302), args=session,
        method="post"),
    "engagements:move_session": Entry(
        expect(G=200, L=200, C=200, P=403, CE=403, OL=404, O=404, A=302), args=session),
    "engagements:cancel_session": Entry(
        expect(G=400, L=400, C=400, P=403, CE=403, OL=404, O=404, A=302), args=session,
        method="post"),
    "engagements:session_notes": Entry(
        expect(C=200, G=403, L=403, P=403, CE=403, OL=404, O=404, A=302), args=session),
    # Pauses (issue 15): managers pause, change, end, answer; the coach asks (302, done); the
    # coachee and the coach company's admin read only (403).
    "engagements:pause": Entry(
        expect(G=302, L=302, C=302, P=403, CE=403, OL=404, O=404, A=302), args=eng,
        method="post", data=PAUSE_DAYS),
    "engagements:change_pause": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302),
        args=pause("approved"), method="post",
        data={**PAUSE_DAYS, "starts_on": "2030-02-01", "ends_on": "2030-02-06"}),
    "engagements:end_pause": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302),
        args=pause("approved"), method="post"),
    "engagements:approve_pause": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302),
        args=pause("requested"), method="post"),
    "engagements:decline_pause": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302),
        args=pause("requested"), method="post"),
    # Discovery calls: managers only, and only while coach matching (302 with why, here).
    "engagements:complete_call": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302), args=call,
        method="post"),
    "engagements:move_call": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302), args=call),
    "engagements:cancel_call": Entry(
        expect(G=302, L=302, C=403, P=403, CE=403, OL=404, O=404, A=302), args=call,
        method="post"),
    # The homes and the coachee's booking (issue 19). Everyone has a home of each kind (an
    # empty one says so); only the coach's shows progress. Booking and cancelling a booked
    # session are the coachee's: the coach and administrators schedule on the engagement's
    # page (403 here), those who do not see the engagement get 404.
    "engagements:my_coachees": Entry(signed_in(200), progress=frozenset({"C"})),
    "engagements:my_coaching": Entry(signed_in(200), progress=frozenset()),
    "engagements:book_session": Entry(
        expect(CE=200, G=403, L=403, C=403, P=403, OL=404, O=404, A=302), args=eng,
        progress=frozenset()),
    "engagements:cancel_booking": Entry(
        expect(CE=200, G=403, L=403, C=403, P=403, OL=404, O=404, A=302), args=upcoming_session,
        progress=frozenset()),
    # Goals and messages (issue 19). Goals: the coachee and the coach write (an empty POST is
    # the form again, 400); the managing administrators read only (403), and the coach
    # company's administrator takes no part (403). The thread: the coachee, the coach and the
    # managing administrators write; the coach company's administrator 403.
    "engagements:add_goal": Entry(
        expect(C=400, CE=400, G=403, L=403, P=403, OL=404, O=404, A=302), args=eng,
        method="post"),
    "engagements:edit_goal": Entry(
        expect(C=200, CE=200, G=403, L=403, P=403, OL=404, O=404, A=302), args=goal),
    "engagements:goal_achieved": Entry(
        expect(C=302, CE=302, G=403, L=403, P=403, OL=404, O=404, A=302), args=goal,
        method="post"),
    "engagements:goal_reopened": Entry(
        expect(C=302, CE=302, G=403, L=403, P=403, OL=404, O=404, A=302), args=goal,
        method="post"),
    "engagements:post_message": Entry(
        expect(C=400, CE=400, G=400, L=400, P=403, OL=404, O=404, A=302), args=eng,
        method="post"),
    # Templates (issue 5): company administrators list and launch; global ones edit.
    "templates_app:list": Entry(expect(G=200, L=200, OL=200, P=200, O=200, others=404,
                                       A=302)),
    "templates_app:create": Entry(expect(G=200, P=200, O=200, others=404, A=302)),
    "templates_app:edit": Entry(expect(G=200, others=404, A=302), args=tmpl),
    "templates_app:launch": Entry(expect(G=200, L=200, OL=200, others=404, A=302), args=tmpl),
    # Reports (issue 7).
    "reports:report": Entry(expect(others=200, CE=403, A=302), progress=SEES_PROGRESS),
    "reports:export": Entry(expect(others=200, CE=403, A=302), progress=SEES_PROGRESS),
    # An empty "save view" POST goes back to the report with a message.
    "reports:save_view": Entry(expect(others=302, C=403, CE=403), method="post"),
    # Coachees have no report at all (403 before any lookup); others: unknown view, 404.
    "reports:saved_view": Entry(expect(others=404, CE=403, A=302), args=missing),
    "reports:delete_saved_view": Entry(expect(others=404, A=302), args=missing,
                                       method="post"),
    # People (issue 14): company administrators (location administrators: the people of
    # their locations); other signed-in users 403. Another company's person is 404, as is
    # Acme's coachee for Leeds's administrator. Roles are for global administrators (a
    # London administrator sees the coachee: 403); locations for Enterprise global
    # administrators (Coachly and Globex are on the Standard plan: 403).
    "people:list": Entry(expect(G=200, L=200, OL=200, P=200, O=200, C=403, CE=403, A=302)),
    "people:add": Entry(expect(G=200, L=200, OL=200, P=200, O=200, C=403, CE=403, A=302)),
    "people:detail": Entry(expect(G=200, L=200, OL=404, P=404, O=404, C=403, CE=403, A=302),
                           args=person),
    "people:edit": Entry(expect(G=200, L=200, OL=404, P=404, O=404, C=403, CE=403, A=302),
                         args=person),
    "people:roles": Entry(expect(G=200, L=403, OL=404, P=404, O=404, C=403, CE=403, A=302),
                          args=person),
    # The coachee is active: inviting them is refused with a message (back to their page).
    "people:invite": Entry(expect(G=302, L=302, OL=404, P=404, O=404, C=403, CE=403, A=302),
                           args=person, method="post"),
    # Deactivating the coachee works for their administrators (302 to the page); the
    # second, reactivate, is refused with a message as they are active (302 as well).
    "people:deactivate": Entry(expect(G=302, L=302, OL=404, P=404, O=404, C=403, CE=403,
                                      A=302), args=person, method="post"),
    "people:reactivate": Entry(expect(G=302, L=302, OL=404, P=404, O=404, C=403, CE=403,
                                      A=302), args=person, method="post"),
    "people:import": Entry(expect(G=200, L=200, OL=200, P=200, O=200, C=403, CE=403, A=302)),
    # An import of one's own only: an unknown id is 404 for every administrator.
    "people:import_preview": Entry(expect(G=404, L=404, OL=404, P=404, O=404, C=403, CE=403,
                                          A=302), args=missing),
    "people:import_confirm": Entry(expect(G=404, L=404, OL=404, P=404, O=404, C=403, CE=403,
                                          A=302), args=missing, method="post"),
    "people:locations": Entry(expect(G=200, others=403, A=302)),
    "people:location_edit": Entry(expect(G=200, others=403, A=302), args=acme_location),
    "people:location_archive": Entry(expect(G=302, others=403, A=302), args=acme_location,
                                     method="post"),
    "people:location_restore": Entry(expect(G=302, others=403, A=302), args=acme_location,
                                     method="post"),
    # Notifications (issue 4).
    "notifications:settings": Entry(signed_in(200)),
    # Calendars (issue 16): the feed's secret is its credential (unknown: 404 for everyone);
    # the Settings actions are one's own; coachees do not connect calendars (403).
    "engagements:calendar_feed": Entry(expect(others=404), args=lambda ctx: ["not-a-token"]),
    "engagements:calendar_feed_new": Entry(signed_in(302), method="post"),
    "engagements:calendar_feed_revoke": Entry(signed_in(302), method="post"),
    "engagements:calendar_connect": Entry(expect(CE=403, others=302), method="post"),
    "engagements:calendar_disconnect": Entry(signed_in(302), method="post"),
    "notifications:webhooks": Entry(expect(G=200, P=200, O=200, others=403, A=302)),
    "notifications:webhook": Entry(ACME_HOOK, args=hook),
    "notifications:webhook_test": Entry(ACME_HOOK_POST, args=hook, method="post"),
    "notifications:webhook_enable": Entry(ACME_HOOK_POST, args=hook, method="post"),
    "notifications:webhook_delete": Entry(ACME_HOOK_POST, args=hook, method="post"),
    "notifications:webhook_resend": Entry(expect(G=404, P=404, O=404, others=403, A=302),
                                          args=hook_delivery, method="post"),
    "notifications:unsubscribe": Entry(expect(others=400), args=lambda ctx: ["not-a-token"]),
    # API tokens on the Settings page (issue 16): an empty form is the form again (400); a
    # token one does not own is 404.
    "accounts:create_api_token": Entry(signed_in(400), method="post"),
    "accounts:revoke_api_token": Entry(signed_in(404), args=missing, method="post"),
    # The REST API (issue 16): the pages' answers, as JSON; no credentials is 401. The
    # schema and its docs are public (they describe the API, not any tenant's data).
    "api:schema": Entry(expect(others=200)),
    "api:docs": Entry(expect(others=200)),
    "api:api-root": Entry(api(200)),
    "api:engagement-list": Entry(api(200), progress=SEES_PROGRESS),
    "api:engagement-detail": Entry(expect(G=200, L=200, C=200, P=200, CE=200, OL=404, O=404,
                                          A=401), args=eng, progress=SEES_PROGRESS),
    "api:session-list": Entry(api(200)),
    # Scheduling: its coach and its managers (201); readers 403; the unseen 404.
    "api:session-list POST": Entry(
        expect(G=201, L=201, C=201, P=403, CE=403, OL=404, O=404, A=401), method="post",
        data=lambda ctx: {"engagement": ctx.engagement.pk, "starts_at": "2026-04-01T10:00Z"}),
    "api:session-detail": Entry(
        expect(G=200, L=200, C=200, P=200, CE=200, OL=404, O=404, A=401), args=session_id),
    "api:session-move": Entry(
        expect(G=200, L=200, C=200, P=403, CE=403, OL=404, O=404, A=401), args=session_id,
        method="post", data={"starts_at": "2026-03-11T15:00Z"}),
    "api:session-cancel": Entry(
        expect(G=200, L=200, C=200, P=403, CE=403, OL=404, O=404, A=401), args=session_id,
        method="post", data={"reason": "Ill"}),
    "api:session-complete": Entry(
        expect(G=200, L=200, C=200, P=403, CE=403, OL=404, O=404, A=401), args=session_id,
        method="post"),
    "api:discovery-call-list": Entry(api(200)),
    # The standing engagement is active: its managers are refused with why (400).
    "api:discovery-call-list POST": Entry(
        expect(G=400, L=400, C=403, P=403, CE=403, OL=404, O=404, A=401), method="post",
        data=lambda ctx: {"engagement": ctx.engagement.pk, "starts_at": "2026-04-01T10:00Z",
                          "coach": ctx.engagement.coach_id}),
    "api:discovery-call-detail": Entry(
        expect(G=200, L=200, C=200, P=200, CE=200, OL=404, O=404, A=401), args=call_id),
    "api:discovery-call-move": Entry(
        expect(G=400, L=400, C=403, P=403, CE=403, OL=404, O=404, A=401), args=call_id,
        method="post", data={"starts_at": "2026-03-11T15:00Z"}),
    "api:discovery-call-cancel": Entry(
        expect(G=400, L=400, C=403, P=403, CE=403, OL=404, O=404, A=401), args=call_id,
        method="post"),
    "api:discovery-call-complete": Entry(
        expect(G=400, L=400, C=403, P=403, CE=403, OL=404, O=404, A=401), args=call_id,
        method="post"),
    "api:progress-transition-list": Entry(api(200)),
    "api:progress-transition-detail": Entry(api(404), args=missing),
    "api:template-list": Entry(expect(G=200, L=200, OL=200, P=200, O=200, C=403, CE=403,
                                      A=401)),
    "api:template-detail": Entry(expect(G=200, L=200, OL=200, P=404, O=404, C=403, CE=403,
                                        A=401), args=tmpl),
    "api:person-list": Entry(expect(G=200, L=200, OL=200, P=200, O=200, C=403, CE=403,
                                    A=401)),
    "api:person-list POST": Entry(expect(G=400, L=400, OL=400, P=400, O=400, C=403, CE=403,
                                         A=401), method="post"),
    "api:person-detail": Entry(expect(G=200, L=200, OL=404, P=404, O=404, C=403, CE=403,
                                      A=401), args=person),
    # The coachee is active: inviting them is refused with why (400).
    "api:person-invite": Entry(expect(G=400, L=400, OL=404, P=404, O=404, C=403, CE=403,
                                      A=401), args=person, method="post"),
}
