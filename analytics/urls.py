from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.progress, name="progress"),
    path("chart/<slug:name>.svg", views.chart, name="chart"),
]
