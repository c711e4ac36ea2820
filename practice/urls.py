from django.urls import path

from practice import views

app_name = "practice"
urlpatterns = [
    path("", views.builder, name="builder"),
    path("count/", views.count, name="count"),
    path("<uuid:session_id>/", views.block, name="block"),
    path("<uuid:session_id>/q/<int:position>/", views.question, name="question"),
    path("<uuid:session_id>/q/<int:position>/answer/", views.answer, name="answer"),
    path("<uuid:session_id>/q/<int:position>/save/", views.save, name="save"),
    path("<uuid:session_id>/q/<int:position>/mark/", views.mark, name="mark"),
    path("<uuid:session_id>/q/<int:position>/strike/", views.strike, name="strike"),
    path("<uuid:session_id>/pause/", views.pause, name="pause"),
    path("<uuid:session_id>/resume/", views.resume, name="resume"),
    path("<uuid:session_id>/end/", views.end, name="end"),
    path("<uuid:session_id>/summary/", views.summary, name="summary"),
    path("<uuid:session_id>/review-incorrect/", views.review_incorrect, name="review_incorrect"),
]
