from django.urls import path

from coach import views

app_name = "coach"
urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("<uuid:conversation_id>/archive/", views.archive, name="archive"),
    path("<uuid:conversation_id>/vignette/", views.vignette, name="vignette"),
    path("reply/<uuid:message_id>/", views.reply, name="reply"),
    path("reply/<uuid:message_id>/retry/", views.retry, name="retry"),
    path("explain/<uuid:question_id>/", views.explain, name="explain"),
    path("paths/", views.path_list, name="paths"),
    path("paths/<uuid:path_id>/", views.path, name="path"),
    path("paths/<uuid:path_id>/edit/", views.path_edit, name="path_edit"),
]
