"""Partition maintenance, on a frozen clock.

Each test starts from no partitions at all (dropped inside the test's transaction, so the
rollback puts the migration's back) and freezes the clock the code reads, so the outcome is the
same on any real date, including the first of a month, a month end and a year end.
"""

import datetime
import importlib
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from analytics.partitions import PARTITIONED_TABLES, add_months, partitions_for, partitions_maintain
from analytics.tasks import partitions_maintain as partitions_task

pytestmark = pytest.mark.django_db
FIRST_PARTITIONS = importlib.import_module("analytics.migrations.0002_partitions_and_row_level_security")


@pytest.fixture(autouse=True)
def no_partitions():
    """Drop every partition, attached or archived; the test's rollback restores them."""
    with connection.cursor() as cursor:
        for table in PARTITIONED_TABLES:
            for partition in partitions_for(table=table):
                cursor.execute(f'DROP TABLE "{partition.name}"')


def _utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def _create_partition(table: str, month: datetime.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT studyin_create_partition(%s, %s)", [table, month])


def _state(table: str) -> dict[str, bool]:
    return {p.name: p.attached for p in partitions_for(table=table)}


def _months(table: str) -> list[datetime.date]:
    return [p.month for p in partitions_for(table=table)]


def test_add_months_crosses_year_ends_both_ways():
    assert add_months(datetime.date(2026, 12, 1), 1) == datetime.date(2027, 1, 1)
    assert add_months(datetime.date(2027, 1, 1), -1) == datetime.date(2026, 12, 1)
    assert add_months(datetime.date(2026, 11, 1), 14) == datetime.date(2028, 1, 1)
    assert add_months(datetime.date(2026, 11, 1), -24) == datetime.date(2024, 11, 1)


def test_the_migration_creates_the_current_month_and_twelve_ahead():
    with connection.cursor() as cursor:
        cursor.execute(FIRST_PARTITIONS.CREATE_FIRST_PARTITIONS)
        # now() is the transaction's start, the very instant the migration's SQL read.
        cursor.execute("SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date")
        (this_month,) = cursor.fetchone()
    for table in PARTITIONED_TABLES:
        assert _months(table) == [add_months(this_month, i) for i in range(13)]


@pytest.mark.parametrize(
    ("now", "first", "last"),
    [
        (_utc(2026, 11, 22, 12, 0), datetime.date(2026, 11, 1), datetime.date(2028, 1, 1)),
        (_utc(2027, 3, 1, 0, 0, 0), datetime.date(2027, 3, 1), datetime.date(2028, 5, 1)),  # first of a month
        (_utc(2027, 2, 28, 23, 59, 59), datetime.date(2027, 2, 1), datetime.date(2028, 4, 1)),  # month end
        (_utc(2026, 12, 31, 23, 59, 59), datetime.date(2026, 12, 1), datetime.date(2028, 2, 1)),  # year end
        (_utc(2027, 1, 1, 0, 0, 0), datetime.date(2027, 1, 1), datetime.date(2028, 3, 1)),  # new year
    ],
)
def test_it_creates_this_month_and_the_months_ahead_from_the_clock(now, first, last):
    with time_machine.travel(now, tick=False):
        actions = partitions_maintain(months_ahead=14)
        assert partitions_maintain(months_ahead=14) == []
    analytics = [a for a in actions if not a.startswith("create audit_log_")]  # the audit log's: test_audit.py
    assert len(analytics) == 15 * len(PARTITIONED_TABLES)
    for table in PARTITIONED_TABLES:
        assert _months(table) == [add_months(first, i) for i in range(15)]
        assert _months(table)[-1] == last


def test_the_month_uses_utc_like_the_partition_bounds(settings):
    # 23:30 UTC on 31 December is already 1 January in Auckland: the partition is still December's.
    settings.TIME_ZONE = "Pacific/Auckland"
    with time_machine.travel(_utc(2026, 12, 31, 23, 30), tick=False):
        partitions_maintain(months_ahead=0)
    assert _months("study_sessions") == [datetime.date(2026, 12, 1)]


def test_a_row_written_at_the_last_second_of_the_year_lands_in_december():
    with time_machine.travel(_utc(2026, 12, 31, 23, 59, 59), tick=False):
        partitions_maintain(months_ahead=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO study_sessions (session_type, duration_seconds, started_at, ended_at, created_at) "
            "VALUES ('tutor', 60, %s, %s, %s), ('tutor', 60, %s, %s, %s)",
            [_utc(2026, 12, 31, 23, 59, 59)] * 3 + [_utc(2027, 1, 1)] * 3,
        )
        cursor.execute("SELECT count(*) FROM study_sessions_2026_12")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT count(*) FROM study_sessions_2027_01")
        assert cursor.fetchone() == (1,)


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

    with time_machine.travel(_utc(2026, 11, 22, 9, 0), tick=False):
        actions = partitions_maintain(months_ahead=12, archive_older_than=12)

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
        assert partitions_maintain(months_ahead=12, archive_older_than=12) == []

        actions = partitions_maintain(months_ahead=12, archive_older_than=12, drop_older_than=24)

        assert sorted(actions) == sorted(f"drop {t}_2024_03" for t in PARTITIONED_TABLES)
        assert "study_sessions_2024_03" not in _state("study_sessions")
        assert "study_sessions_2025_06" in _state("study_sessions")
        assert partitions_maintain(months_ahead=12, archive_older_than=12, drop_older_than=24) == []


@pytest.mark.parametrize(
    ("now", "kept", "dropped"),
    [
        # On the first of a month the month 24 back is kept, the one before it goes.
        (_utc(2027, 1, 1, 0, 0), datetime.date(2025, 1, 1), datetime.date(2024, 12, 1)),
        # At a year end, the same month of two years before is the oldest kept.
        (_utc(2026, 12, 31, 23, 59, 59), datetime.date(2024, 12, 1), datetime.date(2024, 11, 1)),
        # At a month end (a leap year's February).
        (_utc(2028, 2, 29, 23, 59, 59), datetime.date(2026, 2, 1), datetime.date(2026, 1, 1)),
    ],
)
def test_drop_removes_attached_partitions_past_retention_and_no_younger_one(now, kept, dropped):
    _create_partition("retention_analytics", kept)
    _create_partition("retention_analytics", dropped)
    with time_machine.travel(now, tick=False):
        actions = partitions_maintain(months_ahead=0, drop_older_than=24)
    assert [a for a in actions if not a.startswith("create")] == [f"drop retention_analytics_{dropped:%Y_%m}"]
    assert f"retention_analytics_{kept:%Y_%m}" in _state("retention_analytics")
    assert f"retention_analytics_{dropped:%Y_%m}" not in _state("retention_analytics")


def test_new_partitions_carry_row_level_security():
    with time_machine.travel(_utc(2026, 11, 22), tick=False):
        partitions_maintain(months_ahead=15)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) "
            "FROM pg_class c WHERE relname = 'performance_metrics_2028_02'"
        )
        assert cursor.fetchone() == (True, True, 2)


def test_command_dry_run_prints_and_changes_nothing():
    _create_partition("study_sessions", datetime.date(2020, 1, 1))
    out = StringIO()
    with time_machine.travel(_utc(2026, 11, 22), tick=False):
        call_command("partitions", "--drop-older-than", "24", "--dry-run", stdout=out)
    assert "would drop study_sessions_2020_01" in out.getvalue()
    assert "would create study_sessions_2026_11" in out.getvalue()
    assert _state("study_sessions") == {"study_sessions_2020_01": True}


def test_command_runs_and_reports_nothing_to_do_the_second_time():
    _create_partition("study_sessions", datetime.date(2020, 1, 1))
    with time_machine.travel(_utc(2026, 11, 22), tick=False):
        out = StringIO()
        call_command("partitions", "--archive-older-than", "12", stdout=out)
        assert "archive study_sessions_2020_01" in out.getvalue()
        out = StringIO()
        call_command("partitions", "--archive-older-than", "12", stdout=out)
    assert out.getvalue().strip() == "partitions are up to date: nothing to do"


def test_command_rejects_negative_and_inconsistent_retention():
    with pytest.raises(CommandError):
        call_command("partitions", "--months-ahead", "-1")
    with pytest.raises(CommandError):
        call_command("partitions", "--archive-older-than", "24", "--drop-older-than", "12")


def test_beat_task_applies_retention_from_settings(settings):
    settings.PARTITION_DROP_AFTER_MONTHS = 24
    _create_partition("performance_metrics", datetime.date(2020, 5, 1))
    with time_machine.travel(_utc(2026, 11, 22), tick=False):
        actions = partitions_task.apply().get()
    assert "drop performance_metrics_2020_05" in actions
    assert "performance_metrics_2020_05" not in _state("performance_metrics")
    assert "create performance_metrics_2027_11" in actions
