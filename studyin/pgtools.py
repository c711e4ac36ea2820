"""PostgreSQL's own client programs (pg_dump, pg_restore) for `manage.py backup` and `restore`:
from PG_BIN_DIR, else the embedded server's installation (which ships both, of the newest major
version, and pg_dump reads every older server), else the PATH."""

import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from studyin.scratchdb import database_url


class ToolMissing(RuntimeError):
    pass


def program(name: str) -> str:
    if settings.PG_BIN_DIR:
        return str(Path(settings.PG_BIN_DIR) / name)
    try:
        import pgserver
    except ImportError:
        pgserver = None
    if pgserver is not None:
        embedded = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
        if embedded.exists():
            return str(embedded)
    found = shutil.which(name)
    if found:
        return found
    raise ToolMissing(f"{name} not found: install the PostgreSQL client programs or set PG_BIN_DIR")


def run(name: str, *args: str, database: str | None = None, connect: bool = True) -> subprocess.CompletedProcess:
    """Run a client program against `database` (the configured one unless given), as `system`
    for row-level security: every row is dumped or restored, not only those of nobody."""
    url = database_url(database or settings.DATABASES["default"]["NAME"])
    env = {**os.environ, "PGOPTIONS": "-c app.role=system"}
    command = [program(name), *args, *([f"--dbname={url}"] if connect else [])]
    return subprocess.run(command, env=env, capture_output=True, text=True)
