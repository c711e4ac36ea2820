from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("export/", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
    # E-mailed links name their user, so the lookup runs in that user's row-level security context.
    path("verify/resend/", views.verify_resend, name="verify_resend"),
    path("verify/<uuid:user_id>/<str:token>/", views.verify, name="verify"),
    path("reset/", views.password_reset, name="password_reset"),
    path("reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("reset/<uuid:user_id>/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
]
