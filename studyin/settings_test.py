"""Test settings: the same real PostgreSQL and Redis, with Redis database 1 so a test run
never touches the development server's sessions, caches or Celery queue."""

import os
from urllib.parse import urlsplit, urlunsplit

from studyin.settings import *  # noqa: F403
from studyin.settings import CACHES, DATABASES, REDIS_URL, STORAGES, broker_url


def _with_db(url: str, db: int) -> str:
    if url.startswith("unix://"):
        return f"{url.split('?', 1)[0]}?db={db}"
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


CACHES["default"]["LOCATION"] = _with_db(REDIS_URL, 1)
# The test client and live server speak plain HTTP, whatever DEBUG was when settings loaded
# (tests of the production headers set these themselves).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
# Tasks queued by tests go to Redis database 1 too, never into the development worker's queue.
CELERY_BROKER_URL = broker_url(_with_db(REDIS_URL, 1))
# Two test runs at once on one server (two checkouts, two terminals) each need a database.
if test_database := os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_database}

# A second database standing in for a read replica (studyin/routers.py): a database of its own,
# migrated, and used only by the tests that turn ANALYTICS_READ_REPLICA on and ask for it.
DATABASES["replica"] = {
    **DATABASES["default"],
    "TEST": {
        "NAME": DATABASES["default"].get("TEST", {}).get("NAME", f"test_{DATABASES['default']['NAME']}") + "_replica"
    },
}
DATABASES["replica"]["OPTIONS"] = {k: v for k, v in DATABASES["default"]["OPTIONS"].items() if k != "pool"}
REPLICA_MIGRATE = True
ANALYTICS_READ_REPLICA = False
