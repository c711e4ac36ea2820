import json
import re
import sys

from django.core.management.base import BaseCommand
from django.db import connection

CHECKS_SQL = {
    "cache_hit": """
        SELECT 'tables', sum(heap_blks_hit), sum(heap_blks_hit) + sum(heap_blks_read) FROM pg_statio_user_tables
        UNION ALL
        SELECT 'indexes', sum(idx_blks_hit), sum(idx_blks_hit) + sum(idx_blks_read) FROM pg_statio_user_indexes
    """,
    # Never scanned since the statistics were reset, not backing a constraint, larger than 64 kB.
    "unused_indexes": """
        SELECT s.relname, s.indexrelname, pg_relation_size(s.indexrelid)
        FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
        WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
          AND pg_relation_size(s.indexrelid) > 65536
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = s.relid)
        ORDER BY 3 DESC
    """,
    # A plain index whose columns begin another index of the same table (DESIGN.md item 5).
    "redundant_indexes": """
        SELECT t.relname, a.relname, b.relname
        FROM pg_index ia JOIN pg_index ib ON ia.indrelid = ib.indrelid AND ia.indexrelid <> ib.indexrelid
        JOIN pg_class a ON a.oid = ia.indexrelid JOIN pg_class b ON b.oid = ib.indexrelid
        JOIN pg_class t ON t.oid = ia.indrelid
        WHERE t.relnamespace = 'public'::regnamespace AND NOT ia.indisunique AND ia.indpred IS NULL
          AND ia.indexprs IS NULL AND ib.indexprs IS NULL AND a.relam = b.relam
          AND ia.indnatts <= ib.indnatts
          AND (ib.indkey::int2[])[0:ia.indnatts - 1] = (ia.indkey::int2[])[0:ia.indnatts - 1]
          AND (ib.indclass::oid[])[0:ia.indnatts - 1] = (ia.indclass::oid[])[0:ia.indnatts - 1]
          AND (ia.indnatts < ib.indnatts OR a.relname > b.relname)
        ORDER BY 1, 2
    """,
    "dead_tuples": """
        SELECT relname, n_dead_tup, n_live_tup FROM pg_stat_user_tables
        WHERE n_dead_tup > 1000 ORDER BY n_dead_tup DESC
    """,
    "long_queries": """
        SELECT pid, state, extract(epoch FROM now() - query_start)::int, left(query, 120)
        FROM pg_stat_activity
        WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()
          AND query_start < now() - make_interval(secs => %(long)s)
        ORDER BY 3 DESC
    """,
    "connections": """
        SELECT (SELECT count(*) FROM pg_stat_activity), current_setting('max_connections')::int
    """,
    "partitions": """
        SELECT p.relname, max(c.relname) FROM pg_class p
        JOIN pg_inherits i ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid
        WHERE p.relkind = 'p' AND p.relnamespace = 'public'::regnamespace
        GROUP BY p.relname ORDER BY 1
    """,
}


class Command(BaseCommand):
    help = (
        "Report the database's health: table and index cache hit ratios (target above 95%), unused and redundant "
        "indexes, dead tuples, long-running queries, connection use and partitions ahead. Exits 1 when a threshold "
        "is crossed, so cron or a monitor can alert. Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-cache-hit", type=float, default=95.0, help="percent (default %(default)s)")
        parser.add_argument("--min-reads", type=int, default=10_000,
                            help="blocks read before the hit ratio counts (default %(default)s)")  # fmt: skip
        parser.add_argument("--max-dead-ratio", type=float, default=0.2, help="dead/live tuples (default %(default)s)")
        parser.add_argument("--long-query-seconds", type=int, default=300, help="(default %(default)s)")
        parser.add_argument("--max-connections-use", type=float, default=80.0, help="percent (default %(default)s)")
        parser.add_argument("--min-months-ahead", type=int, default=2,
                            help="partitions of future months every partitioned table must have (default %(default)s)")  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **o):
        report, failed = {}, []
        with connection.cursor() as cursor:

            def rows(check):
                cursor.execute(CHECKS_SQL[check], {"long": o["long_query_seconds"]})
                return cursor.fetchall()

            for kind, hit, total in rows("cache_hit"):
                ratio = 100.0 * float(hit) / float(total) if total else None
                report[f"{kind}_cache_hit_percent"] = round(ratio, 2) if ratio is not None else None
                if ratio is not None and total >= o["min_reads"] and ratio < o["min_cache_hit"]:
                    failed.append(f"{kind} cache hit {ratio:.1f}% < {o['min_cache_hit']}%")
            report["unused_indexes"] = [{"table": t, "index": i, "bytes": b} for t, i, b in rows("unused_indexes")]
            report["redundant_indexes"] = [{"table": t, "index": a, "covered_by": b}
                                           for t, a, b in rows("redundant_indexes")]  # fmt: skip
            report["dead_tuples"] = [{"table": t, "dead": d, "live": live} for t, d, live in rows("dead_tuples")]
            failed += [f"{r['table']}: {r['dead']} dead tuples against {r['live']} live (vacuum it)"
                       for r in report["dead_tuples"] if r["dead"] > o["max_dead_ratio"] * max(r["live"], 1)]  # fmt: skip
            report["long_queries"] = [{"pid": p, "state": s, "seconds": sec, "query": q}
                                      for p, s, sec, q in rows("long_queries")]  # fmt: skip
            failed += [f"query {q['pid']} running for {q['seconds']} s" for q in report["long_queries"]]
            (used, limit), *_ = rows("connections")
            report["connections"] = {"used": used, "max": limit, "percent": round(100.0 * used / limit, 1)}
            if report["connections"]["percent"] > o["max_connections_use"]:
                failed.append(f"{used} of {limit} connections in use")
            cursor.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')")
            (this_month,) = cursor.fetchone()
            report["partitions"] = {}
            for table, last in rows("partitions"):
                match = re.search(r"_(\d{4})_(\d{2})$", last or "")
                ahead = None
                if match:
                    year, month = map(int, this_month.split("_"))
                    ahead = (int(match[1]) - year) * 12 + int(match[2]) - month
                report["partitions"][table] = {"last": last, "months_ahead": ahead}
                if ahead is None or ahead < o["min_months_ahead"]:
                    failed.append(f"{table}: partitions only {ahead} months ahead (run `manage.py partitions`)")
        report["problems"] = failed
        if o["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self._print(report)
        if failed:
            sys.exit(1)

    def _print(self, report: dict) -> None:
        w = self.stdout.write
        w(f"cache hit: tables {report['tables_cache_hit_percent']}%, indexes {report['indexes_cache_hit_percent']}%")
        c = report["connections"]
        w(f"connections: {c['used']} of {c['max']} ({c['percent']}%)")
        for key, label in (("unused_indexes", "unused indexes"), ("redundant_indexes", "redundant indexes"),
                           ("dead_tuples", "tables with dead tuples"), ("long_queries", "long-running queries")):  # fmt: skip
            w(f"{label}: {len(report[key]) or 'none'}")
            for row in report[key]:
                w("  " + ", ".join(f"{k} {v}" for k, v in row.items()))
        w("partitions ahead: " + ", ".join(f"{t} {p['months_ahead']}" for t, p in report["partitions"].items()))
        w("problems: " + ("; ".join(report["problems"]) if report["problems"] else "none"))
