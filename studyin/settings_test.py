"""Test settings: the same real PostgreSQL and Redis, with Redis database 1 so a test run
never touches the development server's sessions, caches or Celery queue."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from studyin.settings import *  # noqa: F403
from studyin.settings import CACHES, REDIS_URL


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        return urlunsplit(parts._replace(query=urlencode(query)))
    return urlunsplit(parts._replace(path=f"/{db}"))


CACHES["default"]["LOCATION"] = _with_db(REDIS_URL, 1)
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
