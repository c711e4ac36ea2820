from django.core.management.base import BaseCommand, CommandError
from django.db import connection

INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, t.relname, NOT i.indisvalid, pg_relation_size(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r' AND x.relkind = 'i'
  AND (%(table)s::text IS NULL OR t.relname = %(table)s OR t.relname LIKE %(table)s || '\\_%%')
  AND (NOT %(invalid)s OR NOT i.indisvalid)
ORDER BY t.relname, 1
"""


class Command(BaseCommand):
    help = (
        "Rebuild indexes with REINDEX INDEX CONCURRENTLY, one at a time and outside any transaction (PostgreSQL "
        "refuses it inside one), so reads and writes go on meanwhile. Every index of the application's tables "
        "(partitions included), or only invalid ones (a CREATE INDEX CONCURRENTLY that failed), or one table's. "
        "Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--table", help="only this table's indexes (a partitioned table: its partitions')")
        parser.add_argument("--invalid-only", action="store_true", help="only indexes marked invalid")
        parser.add_argument("--dry-run", action="store_true", help="list the indexes, rebuild nothing")

    def handle(self, *args, table: str | None, invalid_only: bool, dry_run: bool, **options):
        if connection.in_atomic_block:
            raise CommandError("REINDEX CONCURRENTLY cannot run inside a transaction")
        with connection.cursor() as cursor:
            cursor.execute(INDEXES_SQL, {"table": table, "invalid": invalid_only})
            indexes = cursor.fetchall()
            total = 0
            for name, relation, invalid, size in indexes:
                total += size
                note = " (invalid)" if invalid else ""
                if dry_run:
                    self.stdout.write(f"would rebuild {name} on {relation}{note}, {size:,} bytes")
                    continue
                cursor.execute(f"REINDEX INDEX CONCURRENTLY {name}")
                self.stdout.write(f"rebuilt {name} on {relation}{note}")
        self.stdout.write(f"{len(indexes)} indexes, {total:,} bytes{' (dry run)' if dry_run else ''}")
