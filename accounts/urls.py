from django.urls import path

from accounts import token_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("language/", views.change_language, name="language"),
    path("invitation/<uidb64>/<token>/", views.accept_invitation, name="accept_invitation"),
    path("api-tokens/new/", token_views.create_token, name="create_api_token"),
    path("api-tokens/<str:pk>/revoke/", token_views.revoke_token, name="revoke_api_token"),
]
