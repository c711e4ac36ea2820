import json

from django.core.management.base import BaseCommand, CommandError

from accounts.gdpr import user_delete
from accounts.models import User
from accounts.services import email_normalise
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = (
        "Erase a user (GDPR): delete them and everything they own, keep their analytics rows anonymised, "
        "delete their files, and print a JSON report of the rows touched per table. A second run finds no one."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="report what would be erased, change nothing")

    def handle(self, *args, email: str, dry_run: bool, **options):
        with rls_context(role=ROLE_SYSTEM):
            user = User.objects.filter(email=email_normalise(email)).first()
            if user is None:
                raise CommandError(f"no user with the e-mail address {email}")
            report = user_delete(user=user, dry_run=dry_run)
        self.stdout.write(json.dumps({"email": email, **report}, indent=2, sort_keys=True))
