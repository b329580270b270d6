from django.urls import path

from accounts import people_views as views

app_name = "people"

urlpatterns = [
    path("", views.people_list, name="list"),
    path("add/", views.add_person, name="add"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_person, name="edit"),
    path("<int:pk>/roles/", views.person_roles, name="roles"),
    path("<int:pk>/invite/", views.invite_person, name="invite"),
    path("<int:pk>/deactivate/", views.deactivate_person, name="deactivate"),
    path("<int:pk>/reactivate/", views.reactivate_person, name="reactivate"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("locations/", views.locations, name="locations"),
    path("locations/<int:pk>/", views.edit_location, name="location_edit"),
    path("locations/<int:pk>/archive/", views.archive_location, name="location_archive"),
    path("locations/<int:pk>/restore/", views.restore_location, name="location_restore"),
]
