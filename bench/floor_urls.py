"""The URLconf of bench/answer_path.py: the site's URLs, and before them a view that does no
work, to measure what any logged-in POST costs (the "django floor")."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST

from studyin.urls import urlpatterns as site


@login_required
@require_POST
def floor(request):
    request.POST.get("choice")
    return redirect("practice:builder")


urlpatterns = [path("bench/floor/", floor), *site]
