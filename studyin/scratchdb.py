"""A throwaway database on the same server, for the migration test and the benchmarks: they
migrate and fill a database of their own instead of the one everything else uses."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
from django.conf import settings


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = db["HOST"] or ""
    if not host or host.startswith("/"):
        return f"postgresql://{auth}@/{name}" + (f"?host={quote(host)}" if host else "")
    return f"postgresql://{auth}@{host}:{db['PORT'] or 5432}/{name}"


@contextmanager
def scratch_database(prefix: str = "studyin_scratch") -> Iterator[str]:
    """Create an empty database (from template1, so it has the extensions), yield its URL, drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_url = database_url(settings.DATABASES["default"]["NAME"])
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            try:  # A plain DROP stops an autovacuum worker (FORCE may not: it runs as superuser).
                conn.execute(f'DROP DATABASE "{name}"')
            except psycopg.errors.ObjectInUse:  # a session of ours left behind
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def run_django(database_url: str, script: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run Python `script` (after django.setup()) in a process whose database is `database_url`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "scratch-database",
        "DJANGO_SETTINGS_MODULE": "studyin.settings",
        # Plain HTTP, as the test client speaks it (DEBUG is off with a DATABASE_URL).
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
