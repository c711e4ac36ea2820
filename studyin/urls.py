from django.contrib import admin
from django.urls import include, path

from studyin import views
from studyin.rls import HEALTHZ_PATH

urlpatterns = [
    path("", views.home, name="home"),
    path(HEALTHZ_PATH.lstrip("/"), views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("materials/", include("materials.urls")),
    path("questions/", include("questions.urls")),
    path("practice/", include("practice.urls")),
    path("dashboard/", include("practice.dashboard")),
    path("reviews/", include("progress.urls")),
    path("coach/", include("coach.urls")),
    path("progress/", include("analytics.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "studyin.views.server_error"
