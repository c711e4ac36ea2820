"""Monthly partitions against one big table, for a one-month analytics query.

    .venv/bin/python bench/partitions.py [--rows-per-month 420000] [--months 24] [--runs 20]

On a scratch database (migrated, dropped after) on the configured server: `study_sessions` gets
24 months of rows (10,080,000 at the default) in its monthly partitions, and the same rows are
copied into a plain table with the same columns and indexes. Then the same one-month query (the
month's sessions, total study time and questions) runs on each, `--runs` times after a warm-up,
the two taking turns, and the same by block type for comparison. Prints the partitions the
planner scans (EXPLAIN), the buffers each query touches, and p50/p95 times.
Targets: 1 partition scanned, the partitioned query >= 10x faster.
"""

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

from bench.common import percentile  # noqa: E402

# The one-month query of the target (the month's sessions, study time and questions), and the
# same broken down by block type, printed for comparison: the more work a query does per row,
# the less of its time is the scan that partitions save.
QUERIES = {
    "month": """
        SELECT count(*), sum(duration_seconds), sum(questions_answered) FROM {table}
        WHERE created_at >= %(start)s AND created_at < %(end)s
    """,
    "month by type": """
        SELECT session_type, count(*), sum(duration_seconds), sum(questions_answered) FROM {table}
        WHERE created_at >= %(start)s AND created_at < %(end)s
        GROUP BY session_type ORDER BY session_type
    """,
}

LOAD_MONTH = """
INSERT INTO study_sessions (id, user_id, session_type, duration_seconds, questions_answered, xp_earned, activity_data,
                            started_at, ended_at, created_at)
SELECT gen_random_uuid(), NULL, (ARRAY['timed', 'tutor', 'review', 'test'])[1 + g %% 4], 300 + g %% 3300, g %% 40,
       g %% 400, '{}'::jsonb, t - interval '20 minutes', t, t
FROM generate_series(1, %(rows)s) AS g,
     LATERAL (SELECT %(start)s::timestamptz + ((g - 1)::float / %(rows)s) * (%(end)s::timestamptz - %(start)s::timestamptz) AS t) x
"""


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-per-month", type=int, default=420_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    import psycopg

    from studyin.scratchdb import run_django, scratch_database

    with scratch_database("studyin_bench_partitions") as url:
        started = time.monotonic()
        result = run_django(
            url, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)"
        )
        if result.returncode:
            sys.exit(result.stdout + result.stderr)
        print(f"migrate: {time.monotonic() - started:.1f} s")
        this_month = datetime.datetime.now(datetime.UTC).date().replace(day=1)
        months = [add_months(this_month, -i) for i in range(args.months - 1, -1, -1)]
        with psycopg.connect(url, autocommit=True, options="-c app.role=system") as conn:
            started = time.monotonic()
            for month in months:
                conn.execute("SELECT studyin_create_partition('study_sessions', %s)", [month])
                conn.execute(LOAD_MONTH, {"rows": args.rows_per_month, "start": month, "end": add_months(month, 1)})
            conn.execute("CREATE TABLE study_sessions_flat (LIKE study_sessions INCLUDING DEFAULTS INCLUDING INDEXES)")
            conn.execute("INSERT INTO study_sessions_flat SELECT * FROM study_sessions")
            conn.execute("VACUUM ANALYZE study_sessions")
            conn.execute("VACUUM ANALYZE study_sessions_flat")
            total = conn.execute("SELECT count(*) FROM study_sessions").fetchone()[0]
            print(
                f"loaded {total:,} rows over {len(months)} months, and the plain copy: {time.monotonic() - started:.1f} s"
            )

            month = months[len(months) // 2]
            params = {"start": month, "end": add_months(month, 1)}
            reports = {}
            for query, template in QUERIES.items():
                reports[query] = _compare(conn, template, params, args.runs)
            # The same query again with no parallel workers on either side.
            conn.execute("SET max_parallel_workers_per_gather = 0")
            reports["month, no parallel workers"] = _compare(conn, QUERIES["month"], params, args.runs)
    for query, report in reports.items():
        print(f"{query} ({month:%B %Y}):")
        for name, r in report.items():
            print(f"  {name:<11} scans {', '.join(r['scanned'])} ({len(r['scanned'])} relation(s)); "
                  f"{r['buffers']:,} buffers; p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms")  # fmt: skip
        print(f"  partitioned faster by {report['plain']['p50'] / report['partitioned']['p50']:.1f}x at p50")
    part, plain = reports["month"]["partitioned"], reports["month"]["plain"]
    speedup = plain["p50"] / part["p50"]
    checks = [
        (f"partitions scanned: {len(part['scanned'])} (target 1)", len(part["scanned"]) == 1),
        (f"partitioned faster by {speedup:.1f}x at p50 (target >= 10x)", speedup >= 10),
    ]
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(json.dumps({"speedup": round(speedup, 1), "partitions_scanned": len(part["scanned"])}))


def _compare(conn, template: str, params: dict, runs: int) -> dict:
    """The query on each table: its plan, then `runs` timings after a warm-up, the two tables
    taking turns so that a change in the machine's load weighs on both alike."""
    tables = {"partitioned": "study_sessions", "plain": "study_sessions_flat"}
    sql = {name: template.format(table=table) for name, table in tables.items()}
    plans = {name: conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + q, params).fetchone()[0][0]["Plan"]
             for name, q in sql.items()}  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in tables}
    for run in range(3 + runs):
        for name, q in sql.items():
            started = time.perf_counter()
            conn.execute(q, params).fetchall()
            if run >= 3:
                times[name].append((time.perf_counter() - started) * 1000)
    return {name: {"scanned": sorted(_relations(plans[name])), "buffers": _buffers(plans[name]),
                   "p50": percentile(times[name], 50), "p95": percentile(times[name], 95)}
            for name in tables}  # fmt: skip


def _relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        found |= _relations(child)
    return found


def _buffers(node: dict) -> int:
    return node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)


if __name__ == "__main__":
    main()
