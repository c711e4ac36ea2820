from django.contrib import admin
from django.urls import include, path

from studyin import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("materials/", include("materials.urls")),
    path("questions/", include("questions.urls")),
    path("practice/", include("practice.urls")),
    path("admin/", admin.site.urls),
]
