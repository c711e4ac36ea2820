from django.urls import path

from progress import views

app_name = "progress"
urlpatterns = [
    path("", views.reviews, name="reviews"),
    path("leeches/<uuid:card_id>/unsuspend/", views.unsuspend, name="unsuspend"),
]
