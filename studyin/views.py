import sys

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET
from django_redis import get_redis_connection

from studyin.outage import is_outage, outage_response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page; a student who is logged in has the dashboard as their home."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: 200 when the database and Redis both answer, else 503
    naming what is down. Outside the request transaction (studyin/rls.py), so it answers even
    when the database does not."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, don't raise
        status["database"] = f"down: {exc.__class__.__name__}"
    try:
        get_redis_connection("default").ping()
        status["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        status["redis"] = f"down: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(status, status=200 if healthy else 503)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage that got this far is still "briefly unavailable" (503)."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(exc)
    return HttpResponseServerError(render_to_string("500.html"))
