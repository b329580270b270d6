import datetime as dt

import pytest

from accounts.models import User
from engagements.models import Engagement
from notifications.models import Nudge, NudgeItem, NudgePreference, Role
from notifications.outbox import build_outbox
from tests import factories
from tests.notifications.conftest import DAY

pytestmark = pytest.mark.usefixtures("frozen")


def outbox():
    nudges = Nudge.objects.select_related("recipient")
    return {(n.recipient.email, n.role, n.day): n for n in nudges}


def listed(nudge):
    return frozenset(nudge.items.values_list("engagement_id", flat=True))


def test_coachee_coach_and_owner_admin_are_nudged_on_the_day(
    engagement, global_admin, coach, coachee, make_run, turn_off_track
):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)

    assert build_outbox(run) == 3

    assert set(outbox()) == {
        ("coachee@acme.test", Role.COACHEE, DAY),
        ("coach@coachly.test", Role.COACH, DAY),
        ("admin@acme.test", Role.ADMINISTRATOR, DAY),
    }
    for nudge in Nudge.objects.all():
        assert nudge.status == Nudge.Status.PENDING
        assert listed(nudge) == {engagement.pk}
        assert nudge.items.get().off_track_since == DAY


def test_nothing_is_owed_when_the_snapshot_has_notifications_off(
    engagement, make_run, turn_off_track
):
    Engagement.objects.filter(pk=engagement.pk).update(offtrack_notifications_enabled=False)
    run = make_run(engagement.company)
    turn_off_track(run, engagement)

    assert build_outbox(run) == 0
    assert not Nudge.objects.exists()


def test_only_transitions_to_off_track_in_this_run_count(
    engagement, owner_company, make_run, turn_off_track
):
    yesterday = make_run(owner_company, DAY - dt.timedelta(days=1))
    turn_off_track(yesterday, engagement)
    today = make_run(owner_company)

    assert build_outbox(today) == 0


@pytest.mark.parametrize(
    ("status", "nudged"),
    [
        (User.Status.ACTIVE, True),
        (User.Status.INVITED, True),
        (User.Status.INTERNAL_RECORD, False),
        (User.Status.INACTIVE, False),
    ],
)
def test_recipients_by_account_status(
    engagement, coachee, coach, global_admin, make_run, turn_off_track, status, nudged
):
    User.objects.filter(pk__in=[coachee.pk, coach.pk, global_admin.pk]).update(status=status)
    run = make_run(engagement.company)
    turn_off_track(run, engagement)

    build_outbox(run)

    assert Nudge.objects.count() == (3 if nudged else 0)


def test_a_role_turned_off_is_not_nudged_but_the_others_are(
    engagement, coach, make_run, turn_off_track
):
    NudgePreference.objects.create(user=coach, role=Role.COACH, enabled=False)
    # Turning another role off, or a preference left on, changes nothing for the coach role.
    NudgePreference.objects.create(user=coach, role=Role.COACHEE, enabled=True)
    run = make_run(engagement.company)
    turn_off_track(run, engagement)

    build_outbox(run)

    assert {role for (_, role, _) in outbox()} == {Role.COACHEE, Role.ADMINISTRATOR}


def test_coach_matching_engagement_without_a_coach_nudges_coachee_and_admin(
    owner_company, global_admin, make_run, turn_off_track
):
    matching = factories.EngagementFactory(
        company=owner_company, owner=global_admin, matching=True
    )
    run = make_run(owner_company)
    turn_off_track(run, matching)

    build_outbox(run)

    assert set(Nudge.objects.values_list("role", flat=True)) == {Role.COACHEE, Role.ADMINISTRATOR}


def test_owner_who_no_longer_administers_the_engagement_is_not_shown_its_progress(
    owner_company, location, other_location_admin, coachee, coach, make_run, turn_off_track
):
    # The owner administers Leeds only, the engagement is in London: they may not see its
    # progress, so they get no digest about it.
    engagement = factories.EngagementFactory(
        company=owner_company, location=location, owner=other_location_admin,
        coachee=coachee, coach=coach,
    )
    run = make_run(owner_company)
    turn_off_track(run, engagement)

    build_outbox(run)

    assert Role.ADMINISTRATOR not in set(Nudge.objects.values_list("role", flat=True))


def test_location_admin_owner_is_nudged_for_their_location(
    owner_company, location, location_admin, coachee, coach, make_run, turn_off_track
):
    engagement = factories.EngagementFactory(
        company=owner_company, location=location, owner=location_admin,
        coachee=coachee, coach=coach,
    )
    run = make_run(owner_company)
    turn_off_track(run, engagement)

    build_outbox(run)

    assert Nudge.objects.filter(recipient=location_admin, role=Role.ADMINISTRATOR).exists()


def test_one_digest_per_recipient_and_role_lists_every_engagement(
    owner_company, location, global_admin, coach, make_run, turn_off_track
):
    engagements = factories.EngagementFactory.create_batch(
        5, company=owner_company, location=location, owner=global_admin, coach=coach
    )
    run = make_run(owner_company)
    turn_off_track(run, *engagements)

    build_outbox(run)

    by_key = outbox()
    ids = {e.pk for e in engagements}
    assert listed(by_key[("coach@coachly.test", Role.COACH, DAY)]) == ids
    assert listed(by_key[("admin@acme.test", Role.ADMINISTRATOR, DAY)]) == ids
    # Five different coachees, one nudge each; 5 + coach + admin.
    assert Nudge.objects.count() == 7


def test_a_person_who_is_coach_and_administrator_gets_one_digest_per_role(
    owner_company, location, global_admin, coachee, make_run, turn_off_track
):
    coached_by_admin = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin, coach=global_admin,
        coachee=coachee,
    )
    other = factories.EngagementFactory(
        company=owner_company, location=location, owner=global_admin
    )
    run = make_run(owner_company)
    turn_off_track(run, coached_by_admin, other)

    build_outbox(run)

    mine = Nudge.objects.filter(recipient=global_admin)
    assert sorted(mine.values_list("role", flat=True)) == [Role.ADMINISTRATOR, Role.COACH]
    assert listed(mine.get(role=Role.COACH)) == {coached_by_admin.pk}
    assert listed(mine.get(role=Role.ADMINISTRATOR)) == {coached_by_admin.pk, other.pk}


def test_rerunning_the_outbox_for_the_same_day_adds_nothing(
    engagement, make_run, turn_off_track
):
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    build_outbox(run)

    assert build_outbox(run) == 0
    assert Nudge.objects.count() == 3
    assert NudgeItem.objects.count() == 3


def test_a_pending_nudge_of_the_day_gets_the_new_items(
    owner_company, location, global_admin, coach, make_run, turn_off_track
):
    first, second = factories.EngagementFactory.create_batch(
        2, company=owner_company, location=location, owner=global_admin, coach=coach
    )
    run = make_run(owner_company)
    turn_off_track(run, first)
    build_outbox(run)
    pending = set(Nudge.objects.values_list("pk", flat=True))
    turn_off_track(run, second)

    assert build_outbox(run) == 1  # the second engagement's coachee
    # The coach's and the owner's digests of the day list both; the first coachee's, one.
    assert {n.pk: listed(n) for n in Nudge.objects.filter(pk__in=pending)} == {
        n.pk: ({first.pk} if n.role == Role.COACHEE else {first.pk, second.pk})
        for n in Nudge.objects.filter(pk__in=pending)}
    assert NudgeItem.objects.count() == 6


def test_items_are_not_added_to_a_nudge_already_handed_to_the_mailer(
    owner_company, location, global_admin, coach, make_run, turn_off_track
):
    first, second = factories.EngagementFactory.create_batch(
        2, company=owner_company, location=location, owner=global_admin, coach=coach
    )
    run = make_run(owner_company)
    turn_off_track(run, first)
    build_outbox(run)
    Nudge.objects.update(status=Nudge.Status.SENT)
    turn_off_track(run, second)

    build_outbox(run)

    sent = Nudge.objects.filter(status=Nudge.Status.SENT)
    assert {listed(n) for n in sent} == {frozenset({first.pk})}
    # The second engagement's own coachee had no nudge yet: theirs is new and lists it.
    assert NudgeItem.objects.filter(engagement=second, nudge__role=Role.COACHEE).exists()


def test_reminder_repeats_every_n_days_while_off_track(
    engagement, owner_company, make_run, turn_off_track
):
    Engagement.objects.filter(pk=engagement.pk).update(offtrack_reminder_every_days=7)
    went_off = make_run(owner_company, DAY - dt.timedelta(days=14))
    turn_off_track(went_off, engagement)

    six_days = make_run(owner_company, DAY - dt.timedelta(days=8))
    assert build_outbox(six_days) == 0
    fourteen_days = make_run(owner_company, DAY)
    assert build_outbox(fourteen_days) == 3

    item = NudgeItem.objects.get(nudge__role=Role.COACH)
    assert item.reason == NudgeItem.Reason.REMINDER
    assert item.off_track_since == DAY - dt.timedelta(days=14)


def test_no_reminder_without_the_setting_or_once_back_on_track(
    engagement, owner_company, make_run, turn_off_track
):
    went_off = make_run(owner_company, DAY - dt.timedelta(days=7))
    turn_off_track(went_off, engagement)
    assert build_outbox(make_run(owner_company)) == 0  # no reminder setting

    Engagement.objects.filter(pk=engagement.pk).update(
        offtrack_reminder_every_days=7, progress="on_track", off_track_since=None
    )
    assert build_outbox(make_run(owner_company)) == 0  # back on track


def test_other_companies_runs_do_not_leak_into_this_one(
    engagement, other_company, make_run, turn_off_track
):
    foreign = factories.EngagementFactory(company=other_company)
    run = make_run(engagement.company)
    turn_off_track(run, engagement)
    turn_off_track(make_run(other_company), foreign)

    build_outbox(run)

    assert set(Nudge.objects.values_list("company_id", flat=True)) == {engagement.company_id}
    assert not NudgeItem.objects.filter(engagement=foreign).exists()


@pytest.mark.parametrize("size", [2, 30])
def test_building_the_outbox_costs_one_query_whatever_the_size(
    owner_company, location, global_admin, make_run, turn_off_track,
    django_assert_num_queries, size
):
    engagements = factories.EngagementFactory.create_batch(
        size, company=owner_company, location=location, owner=global_admin
    )
    run = make_run(owner_company)
    turn_off_track(run, *engagements)

    # INSERT nudges and, from what it returns, their items: one statement. No ANALYZE of the
    # nudges, although the statistics know none of the 61 just written (here the table was
    # empty): the statement never reads back the nudges it writes.
    with django_assert_num_queries(1):
        build_outbox(run)

    assert Nudge.objects.count() == 2 * size + 1
