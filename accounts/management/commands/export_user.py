import json

from django.core.management.base import BaseCommand, CommandError

from accounts.gdpr import user_export
from accounts.models import User
from accounts.services import email_normalise
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = "Print a user's data as JSON (data portability): their profile and every row they own, table by table."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", "-o", metavar="PATH", help="write to PATH instead of standard output")

    def handle(self, *args, email: str, output: str | None, **options):
        with rls_context(role=ROLE_SYSTEM):
            user = User.objects.filter(email=email_normalise(email)).first()
        if user is None:
            raise CommandError(f"no user with the e-mail address {email}")
        with rls_context(user_id=user.pk):  # row-level security keeps the export to their rows
            text = json.dumps(user_export(user=user), indent=2, sort_keys=True)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text)
