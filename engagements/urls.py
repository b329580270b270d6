from django.urls import path

from engagements import (
    calendar_views,
    change_views,
    homes,
    lifecycle_views,
    participant_views,
    pause_views,
    views,
)
from optify.lists import views as lists

app_name = "engagements"

urlpatterns = [
    # The Engagements page and the engagement page (issue 5).
    path("", views.EngagementListView.as_view(), name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sessions/", views.schedule_session, name="schedule_session"),
    path("<int:pk>/discovery-calls/", views.schedule_call, name="schedule_call"),
    path("<int:pk>/select-coach/", views.select_coach, name="select_coach"),
    path("tables/<str:table>/columns/", lists.table_columns, name="table_columns"),
    # Keeping it current (issue 14): drafts, edits, launch; sessions and discovery calls.
    path("new/", change_views.create, name="create"),
    path("<int:pk>/edit/", change_views.edit, name="edit"),
    path("<int:pk>/launch/", change_views.launch, name="launch"),
    path("<int:pk>/sessions/<int:session_pk>/held/", change_views.complete_session,
         name="complete_session"),
    path("<int:pk>/sessions/<int:session_pk>/move/", change_views.move_session,
         name="move_session"),
    path("<int:pk>/sessions/<int:session_pk>/cancel/", change_views.cancel_session,
         name="cancel_session"),
    path("<int:pk>/sessions/<int:session_pk>/notes/", change_views.session_notes,
         name="session_notes"),
    path("<int:pk>/discovery-calls/<int:call_pk>/held/", change_views.complete_call,
         name="complete_call"),
    path("<int:pk>/discovery-calls/<int:call_pk>/move/", change_views.move_call,
         name="move_call"),
    path("<int:pk>/discovery-calls/<int:call_pk>/cancel/", change_views.cancel_call,
         name="cancel_call"),
    # Pausing tracking (issue 15, rule 9).
    path("<int:pk>/pauses/", pause_views.pause, name="pause"),
    path("<int:pk>/pauses/<int:pause_pk>/change/", pause_views.change_pause,
         name="change_pause"),
    path("<int:pk>/pauses/<int:pause_pk>/end/", pause_views.end_pause, name="end_pause"),
    path("<int:pk>/pauses/<int:pause_pk>/approve/", pause_views.approve_pause,
         name="approve_pause"),
    path("<int:pk>/pauses/<int:pause_pk>/decline/", pause_views.decline_pause,
         name="decline_pause"),
    # Goals and the message thread (issue 19).
    path("<int:pk>/goals/", participant_views.add_goal, name="add_goal"),
    path("<int:pk>/goals/<int:goal_pk>/edit/", participant_views.edit_goal, name="edit_goal"),
    path("<int:pk>/goals/<int:goal_pk>/achieved/", participant_views.goal_achieved,
         name="goal_achieved"),
    path("<int:pk>/goals/<int:goal_pk>/reopen/", participant_views.goal_reopened,
         name="goal_reopened"),
    path("<int:pk>/messages/", participant_views.post_message, name="post_message"),
    # Ending engagements (issue 6).
    path("<int:pk>/end-early/", lifecycle_views.end_early, name="end_early"),
    path("<int:pk>/complete/", lifecycle_views.mark_complete, name="mark_complete"),
    path("bulk/", lifecycle_views.bulk_action, name="bulk_action"),
    path("ready-to-complete/", lifecycle_views.ready_to_complete, name="ready_to_complete"),
    # A place for each person (issue 19): the coach's and the coachee's homes, booking.
    path("my-coachees/", homes.my_coachees, name="my_coachees"),
    path("my-coaching/", homes.my_coaching, name="my_coaching"),
    path("<int:pk>/book/", homes.book_session, name="book_session"),
    path("<int:pk>/sessions/<int:session_pk>/cancel-booking/", homes.cancel_booking,
         name="cancel_booking"),
    # Calendars (issue 16): the private feed and its address, a connected calendar.
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path("calendar/feed/new/", calendar_views.feed_token_new, name="calendar_feed_new"),
    path("calendar/feed/revoke/", calendar_views.feed_token_revoke,
         name="calendar_feed_revoke"),
    path("calendar/connect/", calendar_views.calendar_connect, name="calendar_connect"),
    path("calendar/disconnect/", calendar_views.calendar_disconnect,
         name="calendar_disconnect"),
]
