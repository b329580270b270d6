from django.urls import path

from reports import billing_views, views

app_name = "reports"

urlpatterns = [
    path("", views.ReportView.as_view(), name="report"),
    path("export.csv", views.ReportExportView.as_view(), name="export"),
    path("views/", views.SavedViewCreateView.as_view(), name="save_view"),
    path("views/<int:pk>/", views.SavedViewOpenView.as_view(), name="saved_view"),
    path("views/<int:pk>/delete/", views.delete_saved_view, name="delete_saved_view"),
    path("billing/", billing_views.billing, name="billing"),
    path("billing.csv", billing_views.billing_csv, name="billing_csv"),
]
