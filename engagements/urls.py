from django.urls import path

from engagements import lifecycle_views, views
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
    # Ending engagements (issue 6).
    path("<int:pk>/end-early/", lifecycle_views.end_early, name="end_early"),
    path("<int:pk>/complete/", lifecycle_views.mark_complete, name="mark_complete"),
    path("bulk/", lifecycle_views.bulk_action, name="bulk_action"),
    path("ready-to-complete/", lifecycle_views.ready_to_complete, name="ready_to_complete"),
]
