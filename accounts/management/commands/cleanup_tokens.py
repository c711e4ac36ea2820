import json

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import tokens_purge_expired
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = (
        "Delete expired and spent e-mail verification, password-reset and refresh tokens (beat runs the same "
        "every night) and print the count per table as JSON. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, dry_run: bool, **options):
        with rls_context(role=ROLE_SYSTEM), transaction.atomic():
            counts = tokens_purge_expired()
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(json.dumps({"dry_run": dry_run, **counts}))
