"""Every migration applies and reverses, on a database of its own (so the test database that
the other tests share is never migrated backwards)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
APPS_NEWEST_FIRST = ["analytics", "gamification", "progress", "coach", "practice", "questions", "materials", "accounts"]


def _url(db: dict, name: str) -> str:
    host = db["HOST"] or ""
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{name}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def scratch_database():
    db = settings.DATABASES["default"]
    name = f"studyin_migrations_{uuid.uuid4().hex[:8]}"
    admin_url = _url(db, db["NAME"])
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(db, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _migrate(database_url: str, *targets: tuple[str, str]) -> str:
    """Run `migrate` (to each (app, target) in turn, or all the way) in a process of its own."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, "SECRET_KEY": "migrations-test"}
    env["DJANGO_SETTINGS_MODULE"] = "studyin.settings"
    script = (
        "import django, sys; django.setup(); from django.core.management import call_command\n"
        f"for args in {[list(t) for t in targets] or [[]]!r}: call_command('migrate', *args, interactive=False)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _tables(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace"
        )
        return {r[0] for r in rows}


@pytest.mark.django_db
def test_every_migration_applies_reverses_and_applies_again(scratch_database):
    _migrate(scratch_database)
    migrated = _tables(scratch_database)
    assert {"users", "materials", "material_chunks", "study_sessions", "retention_analytics"} <= migrated

    _migrate(scratch_database, *[(app, "zero") for app in APPS_NEWEST_FIRST])
    leftover = _tables(scratch_database) & {"users", "materials", "questions", "study_sessions", "achievements"}
    assert leftover == set()
    assert not any(t.startswith(("study_sessions_", "performance_metrics_")) for t in _tables(scratch_database))

    _migrate(scratch_database)
    assert _tables(scratch_database) == migrated


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
