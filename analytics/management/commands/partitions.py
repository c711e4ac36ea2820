from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.partitions import partitions_maintain


class Command(BaseCommand):
    help = (
        "Maintain the monthly partitions of study_sessions, performance_metrics and retention_analytics: "
        "create future ones, archive (detach) and drop old ones. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--months-ahead",
            type=int,
            default=settings.PARTITION_MONTHS_AHEAD,
            help="create partitions for the current month and this many ahead (default %(default)s)",
        )
        parser.add_argument(
            "--archive-older-than",
            type=int,
            metavar="M",
            help="detach partitions older than M months; they stay as plain tables",
        )
        parser.add_argument(
            "--drop-older-than", type=int, metavar="M", help="drop partitions older than M months, attached or not"
        )
        parser.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")

    def handle(self, *args, months_ahead, archive_older_than, drop_older_than, dry_run, **options):
        for value in (months_ahead, archive_older_than, drop_older_than):
            if value is not None and value < 0:
                raise CommandError("month counts must be zero or more")
        if archive_older_than is not None and drop_older_than is not None and drop_older_than < archive_older_than:
            raise CommandError("--drop-older-than must not be smaller than --archive-older-than")
        actions = partitions_maintain(
            months_ahead=months_ahead,
            archive_older_than=archive_older_than,
            drop_older_than=drop_older_than,
            dry_run=dry_run,
        )
        prefix = "would " if dry_run else ""
        for action in actions:
            self.stdout.write(prefix + action)
        if not actions:
            self.stdout.write("partitions are up to date: nothing to do")
