from django.urls import path

from templates_app import views

app_name = "templates_app"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_create, name="create"),
    path("<int:pk>/", views.template_edit, name="edit"),
    path("<int:pk>/launch/", views.launch, name="launch"),
]
