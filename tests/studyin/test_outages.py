"""Outages with real servers: a StudyIn of its own (embedded PostgreSQL and Redis under a
temporary var directory, the web server as `make run` starts it, DEBUG on), whose Redis and
PostgreSQL are stopped and started again under it."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import BASE_DIR, Process, WebClient, free_port, wait_for

EMAIL, PASSWORD = "olga@example.com", "outage-proof-password-42"
UNAVAILABLE = "StudyIn is briefly unavailable"

SETUP = f"""
from django.contrib.auth.hashers import make_password
from tests import factories
factories.UserFactory(email="{EMAIL}", name="Olga Outage", password=make_password("{PASSWORD}"))
for n in range(4):
    question = factories.QuestionFactory(is_verified=True)
    for index, text in enumerate(question.options):
        factories.QuestionOptionFactory(question=question, option_index=index, option_text=text)
    factories.QuestionExplanationFactory(question=question)
"""


class Stack:
    def __init__(self, var, log_dir):
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TEST_DATABASE_NAME")
        }
        self.env.update(STUDYIN_VAR_DIR=str(var), MEDIA_ROOT=str(var / "media"), PYTHONUNBUFFERED="1")
        self.log_dir = log_dir

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=BASE_DIR, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def embedded(self, *args: str) -> str:
        return self.run("-m", "studyin.embedded", *args)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("var"), tmp_path_factory.mktemp("logs"))
    stack.embedded("start")
    stack.run("manage.py", "migrate", "--noinput", "-v0")
    stack.run("manage.py", "shell", "-c", SETUP)
    port = free_port()
    server = Process(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=stack.env,
        log=stack.log_dir / "runserver.log",
    )
    stack.url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(stack.url), timeout=60, what="the web server")
        yield stack
    finally:
        server.kill(signal.SIGTERM)
        stack.embedded("stop")


def _answers(url: str) -> bool:
    try:
        return WebClient(url, timeout=2).get("/healthz").status == 200
    except OSError:
        return False


def _logged_in(stack) -> WebClient:
    client = WebClient(stack.url)
    assert client.log_in(EMAIL, PASSWORD).status == 302
    return client


def _start_block(client: WebClient) -> str:
    response = client.post("/practice/", {"mode": "tutor", "pool": "all", "size": 4})
    assert response.status == 302, response.body[:2000]
    return response.headers["Location"]


def test_with_redis_stopped_students_stay_logged_in_answer_and_log_in(stack):
    client = _logged_in(stack)
    block = _start_block(client)
    assert client.get("/dashboard/").status == 200

    stack.embedded("stop", "--only", "redis")
    try:
        health = client.get("/healthz")
        assert health.status == 503
        assert health.json()["database"] == "ok" and health.json()["redis"].startswith("down")

        assert client.get("/dashboard/").status == 200  # the session is read from PostgreSQL
        assert "Olga Outage" in client.get("/materials/").body
        assert client.post(f"{block}q/1/answer/", {"choice": 0}).status == 302
        assert "Correct" in client.get(f"{block}q/1/").body
        assert client.get("/practice/").status == 200

        fresh = WebClient(stack.url)  # a login during the outage (its rate limit cannot count)
        assert fresh.log_in(EMAIL, PASSWORD).status == 302
        assert "Olga Outage" in fresh.get("/dashboard/").body
    finally:
        stack.embedded("start")

    assert client.get("/healthz").status == 200
    assert client.post(f"{block}q/2/answer/", {"choice": 1}).status == 302


def test_with_postgresql_stopped_pages_say_briefly_unavailable_and_recover_by_themselves(stack):
    client = _logged_in(stack)
    block = _start_block(client)
    anonymous = WebClient(stack.url)
    anonymous.get("/accounts/login/")  # the login form, and its CSRF cookie, before the outage

    stack.embedded("stop", "--only", "postgres")
    try:
        for page in (client.get("/dashboard/"), client.get("/materials/"), anonymous.get("/accounts/login/")):
            assert page.status == 503
            assert UNAVAILABLE in page.body and "Nothing you did is lost" in page.body
            assert "Traceback" not in page.body and page.headers["Retry-After"]
        answer = client.post(f"{block}q/1/answer/", {"choice": 0})
        assert answer.status == 503 and UNAVAILABLE in answer.body
        login = anonymous.post("/accounts/login/", {"email": EMAIL, "password": PASSWORD})
        assert login.status == 503 and UNAVAILABLE in login.body
        health = client.get("/healthz")
        assert health.status == 503 and health.headers["Content-Type"] == "application/json"
        assert health.json()["database"].startswith("down") and health.json()["redis"] == "ok"
    finally:
        stack.embedded("start")

    # Nobody restarts the web server: the next requests just work, in the same session.
    wait_for(lambda: client.get("/healthz").status == 200, timeout=30, what="recovery")
    assert "Olga Outage" in client.get("/dashboard/").body
    assert client.post(f"{block}q/1/answer/", {"choice": 0}).status == 302
    assert "Correct" in client.get(f"{block}q/1/").body


def test_the_watcher_restarts_a_dead_server_within_seconds_and_says_so(stack):
    watcher = Process(
        [sys.executable, "-m", "studyin.embedded", "watch"], env=stack.env, log=stack.log_dir / "watch.log"
    )
    try:
        var = Path(stack.env["STUDYIN_VAR_DIR"])
        redis_pid = int((var / "redis" / "redis.pid").read_text())
        os.kill(redis_pid, signal.SIGKILL)
        wait_for(lambda: "embedded Redis is running again" in watcher.output(), timeout=20, what="Redis")

        postmaster = int((var / "pgdata" / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        wait_for(lambda: "embedded PostgreSQL is running again" in watcher.output(), timeout=30, what="PostgreSQL")
        log = watcher.output()
        assert re.search(r"WARNING/embedded\] embedded Redis stopped answering: restarting it", log)
        stack.embedded("stop", "--only", "redis")  # a partial stop is an outage: the watcher restarts it
        wait_for(lambda: watcher.output().count("embedded Redis is running again") == 2, timeout=20, what="Redis")
        assert re.search(r"WARNING/embedded\] embedded PostgreSQL stopped answering: restarting it", log)
        time.sleep(1)
        wait_for(lambda: _answers(stack.url), timeout=30, what="the web server to answer again")

        restarts = watcher.output().count("is running again")
        stack.embedded("stop")  # `make stop`: the watcher leaves them down
        time.sleep(5)
        assert watcher.output().count("is running again") == restarts
        stack.embedded("start")
    finally:
        watcher.kill(signal.SIGTERM)
