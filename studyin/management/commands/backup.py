import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studyin import pgtools


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump in its custom format (-Fc: compressed, restorable table by table) "
        "to PATH, or to BACKUP_DIR/studyin-YYYYMMDD-HHMMSS.dump. Safe to run while StudyIn runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write (default: a new file in BACKUP_DIR)")

    def handle(self, *args, path: str | None, **options):
        target = (
            Path(path) if path else Path(settings.BACKUP_DIR) / f"studyin-{datetime.datetime.now():%Y%m%d-%H%M%S}.dump"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # --enable-row-security: the tables force row-level security, and pg_dump refuses
            # them without it; as `system` (pgtools.run) every row is visible.
            result = pgtools.run("pg_dump", "--format=custom", "--enable-row-security", f"--file={target}")
        except pgtools.ToolMissing as exc:
            raise CommandError(str(exc)) from exc
        if result.returncode:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        self.stdout.write(f"wrote {target} ({target.stat().st_size:,} bytes)")
