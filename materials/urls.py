from django.urls import path

from materials import views

app_name = "materials"
urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:material_id>/", views.detail, name="detail"),
    path("<uuid:material_id>/progress/", views.progress, name="progress"),
    path("<uuid:material_id>/retry/<str:job_type>/", views.retry, name="retry"),
    path("<uuid:material_id>/reprocess/", views.reprocess, name="reprocess"),
    path("<uuid:material_id>/delete/", views.delete, name="delete"),
]
