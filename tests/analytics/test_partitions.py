import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from analytics.partitions import PARTITIONED_TABLES, add_months, partitions_for, partitions_maintain
from analytics.tasks import partitions_maintain as partitions_task

TODAY = datetime.date(2026, 11, 22)
THIS_MONTH = datetime.date(2026, 11, 1)
pytestmark = pytest.mark.django_db


def _create_partition(table: str, month: datetime.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT studyin_create_partition(%s, %s)", [table, month])


def _state(table: str) -> dict[str, bool]:
    return {p.name: p.attached for p in partitions_for(table=table)}


def test_migrate_created_the_current_month_and_twelve_ahead():
    today = datetime.datetime.now(datetime.UTC).date().replace(day=1)
    for table in PARTITIONED_TABLES:
        months = [p.month for p in partitions_for(table=table) if p.attached]
        assert [add_months(today, i) for i in range(13)] == [m for m in months if m >= today][:13]


def test_it_creates_missing_future_partitions_once():
    actions = partitions_maintain(months_ahead=14, today=TODAY)
    created = {a for a in actions if a.startswith("create")}
    # Whatever the migration made, after this run every table has Nov 2026 .. Jan 2028.
    for table in PARTITIONED_TABLES:
        months = {p.month for p in partitions_for(table=table)}
        assert {add_months(THIS_MONTH, i) for i in range(15)} <= months
    assert "create study_sessions_2028_01" in created
    assert partitions_maintain(months_ahead=14, today=TODAY) == []


def test_it_archives_then_drops_old_partitions_and_keeps_archived_rows():
    for table in PARTITIONED_TABLES:
        _create_partition(table, datetime.date(2024, 3, 1))  # 32 months old
        _create_partition(table, datetime.date(2025, 6, 1))  # 17 months old
        _create_partition(table, datetime.date(2025, 11, 1))  # exactly 12: kept
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO study_sessions (session_type, duration_seconds, started_at, ended_at, created_at) "
            "VALUES ('tutor', 60, '2025-06-10', '2025-06-10', '2025-06-10T12:00:00Z')"
        )

    actions = partitions_maintain(months_ahead=12, archive_older_than=12, today=TODAY)

    assert sorted(a for a in actions if a.startswith("archive")) == sorted(
        f"archive {t}_{m}" for t in PARTITIONED_TABLES for m in ("2024_03", "2025_06")
    )
    state = _state("study_sessions")
    assert state["study_sessions_2024_03"] is False
    assert state["study_sessions_2025_06"] is False
    assert state["study_sessions_2025_11"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM study_sessions_2025_06")
        assert cursor.fetchone() == (1,)  # archived, still queryable
        cursor.execute("SELECT count(*) FROM study_sessions WHERE created_at < '2025-11-01'")
        assert cursor.fetchone() == (0,)  # no longer part of the live table
    assert partitions_maintain(months_ahead=12, archive_older_than=12, today=TODAY) == []

    actions = partitions_maintain(months_ahead=12, archive_older_than=12, drop_older_than=24, today=TODAY)

    assert sorted(actions) == sorted(f"drop {t}_2024_03" for t in PARTITIONED_TABLES)
    assert "study_sessions_2024_03" not in _state("study_sessions")
    assert "study_sessions_2025_06" in _state("study_sessions")
    assert partitions_maintain(months_ahead=12, archive_older_than=12, drop_older_than=24, today=TODAY) == []


def test_drop_removes_attached_partitions_too():
    _create_partition("retention_analytics", datetime.date(2023, 1, 1))
    assert partitions_maintain(months_ahead=12, drop_older_than=24, today=TODAY) == ["drop retention_analytics_2023_01"]
    assert "retention_analytics_2023_01" not in _state("retention_analytics")


def test_new_partitions_carry_row_level_security():
    partitions_maintain(months_ahead=15, today=TODAY)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) "
            "FROM pg_class c WHERE relname = 'performance_metrics_2028_02'"
        )
        assert cursor.fetchone() == (True, True, 2)


def test_command_dry_run_prints_and_changes_nothing():
    _create_partition("study_sessions", datetime.date(2020, 1, 1))
    out = StringIO()
    call_command("partitions", "--drop-older-than", "24", "--dry-run", stdout=out)
    assert "would drop study_sessions_2020_01" in out.getvalue()
    assert "study_sessions_2020_01" in _state("study_sessions")


def test_command_runs_and_reports_nothing_to_do_the_second_time():
    _create_partition("study_sessions", datetime.date(2020, 1, 1))
    out = StringIO()
    call_command("partitions", "--archive-older-than", "12", stdout=out)
    assert "archive study_sessions_2020_01" in out.getvalue()
    out = StringIO()
    call_command("partitions", "--archive-older-than", "12", stdout=out)
    assert out.getvalue().strip() == "partitions are up to date: nothing to do"


def test_command_rejects_negative_and_inconsistent_retention():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("partitions", "--months-ahead", "-1")
    with pytest.raises(CommandError):
        call_command("partitions", "--archive-older-than", "24", "--drop-older-than", "12")


def test_beat_task_applies_retention_from_settings(settings):
    settings.PARTITION_DROP_AFTER_MONTHS = 24
    _create_partition("performance_metrics", datetime.date(2020, 5, 1))
    assert "drop performance_metrics_2020_05" in partitions_task.apply().get()
    assert "performance_metrics_2020_05" not in _state("performance_metrics")
