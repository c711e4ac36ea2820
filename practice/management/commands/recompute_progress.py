"""Repair what answers derive, from the attempts alone: progress, mastery and review cards
(progress), XP, study days and achievements (gamification). The same definitions as the answer
path, in bulk."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from gamification.services import rewards_recompute
from practice.services import completed_review_blocks
from progress.services import progress_recompute
from studyin.rls import ROLE_SYSTEM, rls_context


class Command(BaseCommand):
    help = (
        "Recompute progress, mastery, review cards, XP, streaks and achievements from the attempts; safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="one student (default: every student)")
        parser.add_argument("--dry-run", action="store_true", help="recompute inside a transaction, report, roll back")

    def handle(self, *args, user: str | None, dry_run: bool, **options):
        self.stdout.write(self.recompute(email=user, dry_run=dry_run))

    def recompute(self, *, email: str | None = None, dry_run: bool = False) -> str:
        with rls_context(role=ROLE_SYSTEM):
            users = User.objects.filter(is_staff=False)
            if email:
                users = User.objects.filter(email=email.strip().lower())
                if not users.exists():
                    raise CommandError(f"No account with the address {email}.")
            user_ids = list(users.values_list("pk", flat=True))
        with transaction.atomic():
            cards = progress_recompute(user_ids=user_ids)
            students = rewards_recompute(
                user_ids=user_ids, completed_reviews=completed_review_blocks(user_ids=user_ids)
            )
            if dry_run:
                transaction.set_rollback(True)
        return f"{'dry run, rolled back: ' if dry_run else ''}{students} students, {cards} review cards recomputed"
