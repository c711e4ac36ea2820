"""Every migration applies and reverses, on a database of its own (so the test database that
the other tests share is never migrated backwards)."""

import psycopg
import pytest
from django.core.management import call_command

from studyin.scratchdb import run_django, scratch_database

APPS_NEWEST_FIRST = ["analytics", "gamification", "progress", "coach", "practice", "questions", "materials", "accounts"]


def _migrate(database_url: str, *targets: tuple[str, str]) -> None:
    """Run `migrate` to each (app, target) in turn, or all the way, in a process of its own."""
    script = (
        "from django.core.management import call_command\n"
        f"for args in {[list(t) for t in targets] or [[]]!r}: call_command('migrate', *args, interactive=False)"
    )
    result = run_django(database_url, script)
    assert result.returncode == 0, result.stdout + result.stderr


def _tables(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace"
        )
        return {r[0] for r in rows}


@pytest.mark.django_db
def test_every_migration_applies_reverses_and_applies_again():
    with scratch_database("studyin_migrations") as url:
        _migrate(url)
        migrated = _tables(url)
        assert {"users", "materials", "material_chunks", "study_sessions", "retention_analytics"} <= migrated

        _migrate(url, *[(app, "zero") for app in APPS_NEWEST_FIRST])
        left = _tables(url)
        assert left & {"users", "materials", "questions", "study_sessions", "achievements"} == set()
        assert not any(t.startswith(("study_sessions_", "performance_metrics_")) for t in left)

        _migrate(url)
        assert _tables(url) == migrated


@pytest.mark.django_db(databases=["default", "replica"])  # makemigrations checks every database's history
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
