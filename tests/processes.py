"""Real StudyIn processes for the tests that need them: a Celery worker, a web server.

They run the project's own code in separate processes, against the test database and the test
Redis database, exactly as in production (DATABASE_URL and REDIS_URL set, DEBUG off). Tests that
use them must be `django_db(transaction=True)`: another process sees only committed rows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def database_url(settings_dict: dict | None = None) -> str:
    """A DATABASE_URL for the database this test process uses (the test database)."""
    db = settings_dict or connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    host = db.get("HOST") or ""
    if host.startswith("/"):  # a Unix socket directory
        return f"postgresql://{auth}@/{db['NAME']}?host={quote(host)}"
    return f"postgresql://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "studyin.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "test-processes-secret-key-not-for-production-use-at-all",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_DATABASE_NAME", None)
    env.update(extra)
    return env


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.2):
    """Poll until `predicate()` is truthy and return it; fail the test with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Process:
    def __init__(self, args: list[str], *, env: dict[str, str], log: Path):
        self.log = log
        self._fh = log.open("ab")
        # Its own session, so a kill reaches the worker's children as well.
        self.popen = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker and its pool children) and reap it."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=20)
        self._fh.close()


@contextmanager
def celery_worker(log: Path, **env: str) -> Iterator[Process]:
    """A real worker on every queue, one pool process, ready when this yields."""
    worker = Process(
        [str(BIN / "celery"), "-A", "studyin", "worker", "-Q", "default,ingestion,maintenance", "-c", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO", "-n", f"test-{time.time_ns()}@%h"],
        env=process_env(**env), log=log,
    )  # fmt: skip
    try:
        wait_for(lambda: "ready." in worker.output() or worker.popen.poll() is not None, timeout=60, what="the worker")
        assert worker.popen.poll() is None, worker.output()
        yield worker
    finally:
        worker.kill(signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
