from django.urls import path

from questions import views

app_name = "questions"
urlpatterns = [
    path("<uuid:question_id>/flag/", views.flag, name="flag"),
]
