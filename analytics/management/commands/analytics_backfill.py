import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from analytics.services import day_metrics_write
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = (
        "Write performance_metrics and retention_analytics for past days (the nightly job's work), "
        "replacing what those days had: safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="the last N days before today (default %(default)s)")
        parser.add_argument("--since", type=datetime.date.fromisoformat, metavar="YYYY-MM-DD",
                            help="from this day to yesterday, instead of --days")  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="count what would be written, keep nothing")

    def handle(self, *args, days: int, since: datetime.date | None, dry_run: bool, **options):
        yesterday = timezone.now().date() - datetime.timedelta(days=1)
        first = since or yesterday - datetime.timedelta(days=days - 1)
        if first > yesterday:
            raise CommandError(f"nothing to backfill: {first} is not before today")
        totals = {"days": 0, "performance_metrics": 0, "retention_analytics": 0}
        with rls_context(role=ROLE_SYSTEM), transaction.atomic():
            day = first
            while day <= yesterday:
                written = day_metrics_write(day=day)
                totals["days"] += 1
                for table, count in written.items():
                    totals[table] += count
                day += datetime.timedelta(days=1)
            if dry_run:
                transaction.set_rollback(True)  # the inner block's: the context is restored after
        self.stdout.write(json.dumps({"from": first.isoformat(), "to": yesterday.isoformat(), "dry_run": dry_run,
                                      **totals}))  # fmt: skip
