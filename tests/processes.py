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

from django.conf import settings
from django.db import connection

from studyin import scratchdb

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def database_url() -> str:
    """A DATABASE_URL for the database this test process uses (the test database)."""
    return scratchdb.database_url(connection.settings_dict["NAME"])


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


class WebResponse:
    def __init__(self, status: int, body: str, headers):
        self.status, self.body, self.headers = status, body, headers

    def json(self):
        import json

        return json.loads(self.body)


class WebClient:
    """What a browser sends to a running server, without a browser: cookies kept, the CSRF token
    sent back, redirects not followed. A request that takes longer than `timeout` fails the test:
    a page must answer, even if it is to say it cannot."""

    def __init__(self, base_url: str, *, timeout: float = 10):
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None) -> WebResponse:
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        csrf = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method=method,
            headers={"X-CSRFToken": csrf, "Referer": self.base_url + "/", **(headers or {})},
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return WebResponse(response.status, response.read().decode(errors="replace"), response.headers)
        except urllib.error.HTTPError as error:
            return WebResponse(error.code, error.read().decode(errors="replace"), error.headers)

    def get(self, path: str, **kwargs) -> WebResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> WebResponse:
        return self.request("POST", path, data, **kwargs)

    def log_in(self, email: str, password: str) -> WebResponse:
        self.get("/accounts/login/")  # the CSRF cookie
        return self.post("/accounts/login/", {"email": email, "password": password})
