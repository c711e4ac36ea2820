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


@pytest.mark.django_db
def test_chunks_there_are_get_their_materials_owner():
    with scratch_database("studyin_migrations") as url:
        _migrate(url, ("materials", "0007_chunk_search_vector"))
        with psycopg.connect(url) as conn:
            conn.execute("SELECT set_config('app.role', 'system', false)")
            owners = [conn.execute("INSERT INTO users (email, hashed_password, name, is_superuser) "
                                   "VALUES (%s, '', '', false) RETURNING id", [f"s{n}@example.com"]).fetchone()[0]
                      for n in range(2)]  # fmt: skip
            for n, owner in enumerate(owners * 60):  # more materials than one batch
                material = conn.execute(
                    "INSERT INTO materials (user_id, filename, file_path, file_size, file_type, title, tags) "
                    "VALUES (%s, 'n.pdf', %s, 1, 'application/pdf', 'Notes', '{}') RETURNING id",
                    [owner, f"m/{n}.pdf"],
                ).fetchone()[0]
                conn.execute("INSERT INTO material_chunks (material_id, content, chunk_index, char_start, char_end, metadata) "
                             "VALUES (%s, 'text', 0, 0, 4, '{}'), (%s, 'text', 1, 0, 4, '{}')", [material, material])  # fmt: skip

        _migrate(url, ("materials", "0008_chunk_owner"))

        with psycopg.connect(url) as conn:
            conn.execute("SELECT set_config('app.role', 'system', false)")
            assert conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE c.user_id = m.user_id) "
                "FROM material_chunks c JOIN materials m ON m.id = c.material_id"
            ).fetchone() == (240, 240)
            conn.execute("SELECT set_config('app.role', '', false)")
            conn.execute("SELECT set_config('app.current_user_id', %s, false)", [str(owners[0])])
            assert conn.execute("SELECT count(*) FROM material_chunks").fetchone() == (120,)


@pytest.mark.django_db(databases=["default", "replica"])  # makemigrations checks every database's history
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
