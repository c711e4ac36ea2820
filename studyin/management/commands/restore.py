import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studyin import pgtools

# What a non-superuser may not recreate, and the database already has (the superuser set it up:
# README, "Production"): the extensions and their comments.
SKIPPED = ("EXTENSION", "COMMENT - EXTENSION")
# The application's objects go first, in the restore's transaction (pg_restore's own --clean
# cannot drop partitioned tables in an order PostgreSQL accepts); the extensions' stay.
DROP_OURS = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass::text AS name,
                    CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                   ELSE 'TABLE' END AS kind
             FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
               AND NOT c.relispartition
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
             ORDER BY c.relkind = 'S'
    LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE', r.kind, r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure::text AS name FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.name);
    END LOOP;
END $$;
"""


class Command(BaseCommand):
    help = (
        "Restore a backup written by `backup` (pg_dump -Fc) into the configured database, or --database NAME. "
        "Its tables are dropped and recreated from the backup in one transaction: stop the web and worker "
        "processes first. Extensions are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--database", help="restore into this database on the same server instead")
        parser.add_argument("--dry-run", action="store_true", help="list what would be restored, change nothing")
        parser.add_argument("--noinput", "--no-input", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path: str, database: str | None, dry_run: bool, noinput: bool, **options):
        if not Path(path).is_file():
            raise CommandError(f"no such backup: {path}")
        try:
            listing = pgtools.run("pg_restore", "--list", path, database=database)
        except pgtools.ToolMissing as exc:
            raise CommandError(str(exc)) from exc
        if listing.returncode:
            raise CommandError(f"not a backup pg_restore can read: {listing.stderr.strip()}")
        entries = [line for line in listing.stdout.splitlines() if line and not line.startswith(";")]
        kept = [line for line in entries if not any(f" {kind} " in line for kind in SKIPPED)]
        target = database or settings.DATABASES["default"]["NAME"]
        if dry_run:
            self.stdout.write(f"would restore {len(kept)} entries of {path} into {target} (dry run)")
            return
        if not noinput and input(f"Replace every table of {target} with {path}? Type 'yes': ").strip() != "yes":
            raise CommandError("restore cancelled")
        with tempfile.TemporaryDirectory() as work:
            chosen, script = Path(work) / "restore.list", Path(work) / "restore.sql"
            chosen.write_text("\n".join(kept) + "\n")
            result = pgtools.run(
                "pg_restore", "--no-owner", "--no-privileges", "--enable-row-security", f"--use-list={chosen}",
                f"--file={script}", path, connect=False,
            )  # fmt: skip
            if result.returncode:
                raise CommandError(f"pg_restore could not read {path}: {result.stderr.strip()[-2000:]}")
            script.write_text(DROP_OURS + script.read_text())
            result = pgtools.run("psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                                 f"--file={script}", database=database)  # fmt: skip
        if result.returncode:
            raise CommandError(f"pg_restore failed, nothing was changed: {result.stderr.strip()[-2000:]}")
        self.stdout.write(f"restored {len(kept)} entries of {path} into {target}")
