from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportView.as_view(), name="report"),
    path("export.csv", views.ReportExportView.as_view(), name="export"),
    path("views/", views.SavedViewCreateView.as_view(), name="save_view"),
    path("views/<int:pk>/", views.SavedViewOpenView.as_view(), name="saved_view"),
    path("views/<int:pk>/delete/", views.delete_saved_view, name="delete_saved_view"),
]
