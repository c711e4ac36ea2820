"""Security headers on every response, and Django's deployment checklist with production settings."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tests.processes import BASE_DIR, database_url

pytestmark = pytest.mark.django_db

PAGES = ["/", "/accounts/login/", "/materials/", "/practice/", "/healthz", "/admin/login/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_response_has_a_strict_content_security_policy(student_client, url):
    response = student_client.get(url)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # no 'unsafe-inline'
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "geolocation=()" in response["Permissions-Policy"] and "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/materials/", "/practice/"])
def test_pages_have_no_inline_script_or_style_for_the_policy_to_block(student_client, url):
    page = student_client.get(url).content.decode()
    assert "<script>" not in page
    for attribute in ("onclick=", "onsubmit=", "onchange=", "onload=", "style="):
        assert attribute not in page, attribute


def test_check_deploy_warns_when_links_in_e_mails_would_follow_the_host_header(settings):
    from studyin.checks import site_url_set

    settings.DEBUG, settings.SITE_URL = False, ""
    assert [w.id for w in site_url_set(None)] == ["studyin.W001"]
    settings.SITE_URL = "https://studyin.example.org"
    assert site_url_set(None) == []


def test_healthz_answers_plain_http_for_load_balancers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_with_debug_off_http_redirects_to_https_with_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get("/accounts/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_check_deploy_with_production_settings_warns_of_nothing():
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "studyin.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "p0-m8vVXq!3Lr#7e2WzK9s@Yc4Tn6Jb1Hd5Gf8Ua0Qo-Ri2Ex7Mk3Pw9Zl4Ch6Vy",
        "ALLOWED_HOSTS": "studyin.example.org",
        "SITE_URL": "https://studyin.example.org",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr
