"""How fast `seed_demo` fills a database, and that a second run adds nothing.

    .venv/bin/python bench/seed_demo.py [--questions 10000] [--users 20]

Runs on a scratch database (migrated first, dropped after) on the configured server. Target:
10,000 questions in under a minute.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

import django  # noqa: E402

django.setup()

from studyin.scratchdb import run_django, scratch_database  # noqa: E402


def _timed(url: str, script: str) -> float:
    started = time.perf_counter()
    result = run_django(url, script)
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    print(result.stdout.strip())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    seed = (
        "from django.core.management import call_command\n"
        f"call_command('seed_demo', questions={args.questions}, users={args.users})"
    )
    with scratch_database("studyin_bench") as url:
        _timed(url, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)")
        first = _timed(url, seed)
        second = _timed(url, seed)
    print(f"seed_demo --questions {args.questions} --users {args.users}: first run {first:.1f} s "
          f"(target < 60 s), second run {second:.1f} s (adds nothing)")  # fmt: skip


if __name__ == "__main__":
    main()
