"""With DEBUG off (as in production and in these tests), every error page is StudyIn's own."""

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path
from redis.exceptions import ConnectionError as RedisConnectionError

from studyin.urls import urlpatterns as studyin_urls

pytestmark = pytest.mark.django_db


def _boom(request):
    raise ZeroDivisionError("a bug")


def _database_gone(request):
    raise OperationalError("connection to server on socket failed: No such file or directory")


def _deadlock(request):
    from psycopg.errors import DeadlockDetected

    try:
        raise DeadlockDetected("deadlock detected")
    except DeadlockDetected as exc:
        raise OperationalError("deadlock detected") from exc


def _redis_gone(request):
    raise RedisConnectionError("Error 2 connecting to unix socket. No such file or directory.")


class urls:  # noqa: N801 - a URLconf module stand-in
    urlpatterns = [
        path("boom/", _boom),
        path("database-gone/", _database_gone),
        path("redis-gone/", _redis_gone),
        path("deadlock/", _deadlock),
        *studyin_urls,
    ]
    handler500 = "studyin.views.server_error"


@pytest.fixture
def plain_client():
    return Client(raise_request_exception=False)


def test_a_missing_page_is_studyins_404(student_client):
    response = student_client.get("/materials/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page and "Your library" in page


@override_settings(ROOT_URLCONF=urls)
def test_a_bug_is_studyins_500_without_a_traceback(plain_client):
    response = plain_client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "ZeroDivisionError" not in page


@override_settings(ROOT_URLCONF=urls)
@pytest.mark.parametrize("url", ["/database-gone/", "/redis-gone/"])
def test_an_unreachable_server_is_the_briefly_unavailable_503(plain_client, url):
    response = plain_client.get(url)
    assert response.status_code == 503 and response["Retry-After"] == "10"
    page = response.content.decode()
    assert "StudyIn is briefly unavailable" in page and "Nothing you did is lost" in page


@override_settings(ROOT_URLCONF=urls)
def test_a_deadlock_is_a_500_not_an_outage(plain_client):
    response = plain_client.get("/deadlock/")
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()


@override_settings(ROOT_URLCONF=urls, DEBUG=True)
def test_with_debug_on_an_outage_is_still_the_friendly_503(plain_client):
    response = plain_client.get("/database-gone/")
    assert response.status_code == 503 and "StudyIn is briefly unavailable" in response.content.decode()


def test_a_forged_form_gets_studyins_csrf_page(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post("/accounts/profile/", {"name": "x"})
    assert response.status_code == 403 and "This form has expired" in response.content.decode()
