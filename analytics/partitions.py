"""Monthly partitions of the analytics tables: keep them ahead, archive and drop old ones.

Partitions are named `<table>_YYYY_MM` and created only by the SQL function
`studyin_create_partition()` (migration analytics 0002), which also gives each one its row-level
security policies. Archiving detaches a partition (it stays a plain, queryable table); dropping
removes it, attached or archived. Every step checks what exists first, so running twice is a no-op.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

PARTITIONED_TABLES = ("study_sessions", "performance_metrics", "retention_analytics")
# The audit log (accounts migration 0004) is kept ahead the same way, by its own function, and
# never archived or dropped: it is the record of who changed what.
AUDIT_TABLE = "audit_log"


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    month: datetime.date
    attached: bool


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_{month:%Y_%m}"


def partitions_for(*, table: str) -> list[Partition]:
    """Every partition of `table`, attached or archived, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
            FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname ~ %s
            ORDER BY c.relname
            """,
            [rf"^{table}_\d{{4}}_\d{{2}}$"],
        )
        rows = cursor.fetchall()
    pattern = re.compile(rf"^{table}_(\d{{4}})_(\d{{2}})$")
    return [
        Partition(table, name, datetime.date(int(m[1]), int(m[2]), 1), attached)
        for name, attached in rows
        if (m := pattern.match(name))
    ]


def partitions_maintain(
    *,
    months_ahead: int,
    archive_older_than: int | None = None,
    drop_older_than: int | None = None,
    dry_run: bool = False,
    today: datetime.date | None = None,
) -> list[str]:
    """Bring every partitioned table in line; return what was (or, dry, would be) done.

    "Older than M months" means the whole partition lies before the first day of the month M
    months before the current one: with M = 12 in November 2026, partitions up to October 2025.
    """
    this_month = (today or timezone.now().date()).replace(day=1)  # UTC, like the partition bounds
    actions: list[str] = []
    for table in (*PARTITIONED_TABLES, AUDIT_TABLE):
        existing = {p.month: p for p in partitions_for(table=table)}
        steps: list[tuple[str, str, tuple]] = []
        for offset in range(months_ahead + 1):
            month = add_months(this_month, offset)
            if month not in existing:
                create = ("SELECT studyin_create_audit_partition(%s)", (month,)) if table == AUDIT_TABLE else (
                    "SELECT studyin_create_partition(%s, %s)", (table, month))  # fmt: skip
                steps.append((f"create {partition_name(table, month)}", *create))
        for month, part in sorted(existing.items()) if table != AUDIT_TABLE else ():
            if drop_older_than is not None and month < add_months(this_month, -drop_older_than):
                steps.append((f"drop {part.name}", f'DROP TABLE "{part.name}"', ()))
            elif (
                archive_older_than is not None and part.attached and month < add_months(this_month, -archive_older_than)
            ):
                steps.append((f"archive {part.name}", f'ALTER TABLE "{table}" DETACH PARTITION "{part.name}"', ()))
        for description, sql, params in steps:
            actions.append(description)
            if not dry_run:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, params)
    return actions
