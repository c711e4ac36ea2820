"""What the benchmarks share: latency statistics, and a scratch database seeded with the demo
at a given size (migrated, seeded, vacuumed; dropped after)."""

import sys
import time
from contextlib import contextmanager


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def stats(latencies: list[float]) -> dict:
    """Throughput over the time spent (the ways measured take turns, so not wall time)."""
    return {
        "n": len(latencies),
        "per_s": len(latencies) / sum(latencies),
        "p50_ms": 1000 * percentile(latencies, 50),
        "p95_ms": 1000 * percentile(latencies, 95),
    }


def timed(url: str, script: str, what: str) -> float:
    """Run `script` in a Django process on the database at `url`; print how long it took."""
    from studyin.scratchdb import run_django

    started = time.perf_counter()
    result = run_django(url, script, timeout=3600)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    elapsed = time.perf_counter() - started
    print(f"{what}: {elapsed:.1f} s  {result.stdout.strip()}")
    return elapsed


@contextmanager
def seeded_database(*, users: int, questions: int, attempts: int):
    """A scratch database with `seed_demo` at this size, vacuumed as a database in service would
    be (so autovacuum does not set on the fresh rows, and take a core, while things are timed)."""
    import psycopg

    from studyin.scratchdb import scratch_database

    seed = (
        "from django.core.management import call_command\n"
        f"call_command('seed_demo', users={users}, questions={questions}, attempts={attempts})"
    )
    with scratch_database("studyin_bench") as url:
        timed(url, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)", "migrate")
        timed(url, seed, f"seed_demo --users {users} --questions {questions} --attempts {attempts}")
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        print(f"vacuum: {time.perf_counter() - started:.1f} s")
        yield url
