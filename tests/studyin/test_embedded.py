"""The embedded PostgreSQL's memory, on a server of its own (a temporary var directory)."""

import os
import subprocess
import sys

from studyin.embedded import shared_buffers_mb
from tests.processes import BASE_DIR

# Starts (or finds) the server, after `patch`, and prints its shared buffers.
SHOW = """
import psycopg
from studyin import embedded
{patch}
with psycopg.connect(embedded.postgres_url()) as conn:
    print(conn.execute("SHOW shared_buffers").fetchone()[0])
"""


def test_the_embedded_server_takes_a_quarter_of_memory_and_starts_without_it_when_it_cannot(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["STUDYIN_VAR_DIR"] = str(tmp_path)

    def show(patch: str = "") -> str:
        done = subprocess.run([sys.executable, "-c", SHOW.format(patch=patch)], cwd=BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    try:
        # 4 TB, more than the machine has: the restart fails and the server comes back on its default.
        assert show("embedded.shared_buffers_mb = lambda: 2**22") == "128MB"
        assert "shared_buffers" not in (tmp_path / "pgdata" / "postgresql.auto.conf").read_text()
        # A later start sizes it again (the bootstrap's marker is missing, as after an upgrade).
        next(tmp_path.glob("pgdata/.studyin-bootstrapped-*")).unlink()
        mb = shared_buffers_mb()
        sized = f"{mb // 1024}GB" if mb % 1024 == 0 else f"{mb}MB"  # as PostgreSQL shows it
        assert show() == sized
        assert show() == sized  # and found running so the next time
    finally:
        subprocess.run([sys.executable, "-m", "studyin.embedded", "stop"], cwd=BASE_DIR, env=env, timeout=120)
