"""The student's dashboard and progress page, with their numbers from PostgreSQL and from the cache.

    .venv/bin/python bench/dashboard.py [--requests 500] [--attempts 1000000] [--users 200] [--questions 5000]

On a scratch database (migrated, seeded with `seed_demo --users 200 --questions 5000
--attempts 1000000`, dropped after) on the configured server, the demo student GETs the
dashboard (practice/dashboard.py, the page after logging in) `--requests` times each way,
through `django.test.Client`, logged in: the whole stack, with middleware, the session in
Redis, the user lookup, row-level security, the view and the template (its static files named
through the production storage, from a manifest collected for the run). The ways take turns
in rounds of 50 after a warm-up of 20 each:

- cold: before each request (not timed) the student's cached numbers are deleted, the
  dashboard's stats key and the due-review count's key (studyin/cache.py), so every number is
  computed from PostgreSQL, as on the first visit after an answer;
- warm: the cache is left in place (the first request fills it), as on a visit within five
  minutes of the last, with no answer between.

The progress page (analytics/views.py, the 30 days it opens on) is timed the same two ways; cold
drops its cached body too. Its charts are images the browser fetches after the page, each
drawn on its own request: their time is printed too (no target).

Prints n, throughput, p50/p95 latency of each way and the SQL statements of one cold and one
warm request (BEGIN and COMMIT included, if sent: each is a round trip).
Targets, for both pages: warm p95 <= 10 ms, cold p95 <= 50 ms.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

from bench.common import seeded_database, stats  # noqa: E402

MAX_WARM_P95_MS, MAX_COLD_P95_MS = 10.0, 50.0


class Dashboard:
    """The student's browser: the test client, logged in, GETs the dashboard; `cold` drops the
    student's cached numbers first, outside the time taken."""

    def __init__(self, *, user, cold: bool, url: str = "dashboard"):
        from django.test import Client
        from django.urls import reverse

        self.client = Client(HTTP_HOST="localhost")  # DEBUG is off: "testserver" is not an allowed host
        self.client.force_login(user)
        self.url = reverse(url)
        self.user, self.cold = user, cold

    def get(self) -> float:
        from studyin.cache import stats_invalidate

        if self.cold:
            stats_invalidate(self.user.pk, due_reviews=True)
        started = time.perf_counter()
        response = self.client.get(self.url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"dashboard refused: {response.status_code} {response.get('Location')}")
        return elapsed

    def statements(self) -> list[str]:
        """The statements of one dashboard request, as logged."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.get()
        return [q["sql"] for q in queries.captured_queries]


def _chart_times(page: Dashboard, *, rounds: int) -> list[float]:
    """Each chart of a freshly computed progress page, drawn on its request, as the browser asks."""
    from django.urls import reverse

    from analytics.charts import progress_charts
    from analytics.selectors import progress_for

    names = [c.key for c in progress_charts(progress_for(user=page.user, days=30))]
    times = []
    for _ in range(rounds):
        page.get()  # the page (cold): its numbers cached, no chart drawn yet
        for name in names:
            started = time.perf_counter()
            response = page.client.get(reverse("analytics:chart", args=[name]))
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
    return times


def run(*, requests: int, warmup: int = 20, round_size: int = 50) -> dict:
    """In a process whose database is the scratch one, seeded: the ways GET the demo student's
    dashboard in turns of `round_size` requests, so a change in the machine's load (two cores,
    shared) weighs on both alike."""
    import tempfile

    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    from accounts.models import User
    from demo.management.commands.seed_demo import DEMO_EMAIL
    from studyin.rls import ROLE_SYSTEM, rls_context

    if settings.DEBUG:
        raise RuntimeError("DEBUG is on: Django would record every query and run slower than in production.")
    # The page names its static files through the production storage (hashed names, from the
    # manifest collectstatic writes): collected here into a directory of the run's own.
    static_root = tempfile.TemporaryDirectory(prefix="studyin_bench_static_")
    override_settings(STATIC_ROOT=static_root.name).enable()
    call_command("collectstatic", interactive=False, verbosity=0)
    with rls_context(role=ROLE_SYSTEM):
        user = User.objects.get(email=DEMO_EMAIL)
    ways = {
        "cold": Dashboard(user=user, cold=True), "warm": Dashboard(user=user, cold=False),
        "progress cold": Dashboard(user=user, cold=True, url="analytics:progress"),
        "progress warm": Dashboard(user=user, cold=False, url="analytics:progress"),
    }  # fmt: skip
    for way in ways.values():
        for _ in range(warmup):
            way.get()
    latencies = {name: [] for name in ways}
    for done in range(0, requests, round_size):
        for name, way in ways.items():
            latencies[name].extend(way.get() for _ in range(min(round_size, requests - done)))
    result = {name: stats(values) for name, values in latencies.items()}
    result["statements"] = {name: way.statements() for name, way in ways.items()}
    result["charts"] = stats(_chart_times(ways["progress cold"], rounds=20))
    static_root.cleanup()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500, help="timed requests each way")
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5000)
    args = parser.parse_args()

    import django

    django.setup()
    from studyin.scratchdb import run_django

    with seeded_database(users=args.users, questions=args.questions, attempts=args.attempts) as url:
        run_script = f"print('RESULT', json.dumps(run(requests={args.requests})))"
        result = run_django(url, "import json; from bench.dashboard import run\n" + run_script, timeout=3600)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    r = json.loads(result.stdout.split("RESULT ", 1)[1])
    statements = r["statements"]
    for name in ("cold", "warm", "progress cold", "progress warm"):
        s = r[name]
        print(f"{name:<13} {s['n']:>5} requests {s['per_s']:7.1f} per s  "
              f"p50 {s['p50_ms']:6.2f} ms  p95 {s['p95_ms']:6.2f} ms  {len(statements[name])} statements")  # fmt: skip
    checks = []
    for page, prefix in (("dashboard", ""), ("progress page", "progress ")):
        warm, cold = r[f"{prefix}warm"], r[f"{prefix}cold"]
        checks += [
            (f"{page} warm p95: {warm['p95_ms']:.2f} ms (target <= {MAX_WARM_P95_MS:g} ms)",
             warm["p95_ms"] <= MAX_WARM_P95_MS),
            (f"{page} cold p95: {cold['p95_ms']:.2f} ms (target <= {MAX_COLD_P95_MS:g} ms)",
             cold["p95_ms"] <= MAX_COLD_P95_MS),
        ]  # fmt: skip
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    if r.get("charts"):
        c = r["charts"]
        print(f"progress charts, each drawn on its own request: p50 {c['p50_ms']:.2f} ms  p95 {c['p95_ms']:.2f} ms")
    for name in ("cold", "warm", "progress cold"):
        print(f"statements of one {name} request:")
        for i, sql in enumerate(statements[name], 1):
            print(f"  {i:2}. {' '.join(sql.split())[:110]}")
    print("PASS" if all(ok for _, ok in checks) else "FAIL")


if __name__ == "__main__":
    main()
