from django.core.management.base import BaseCommand

from studyin import embedded


class Command(BaseCommand):
    help = "Stop the embedded PostgreSQL and Redis that StudyIn starts when DATABASE_URL/REDIS_URL are unset."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["stop"])

    def handle(self, *args, action: str, **options):
        stopped = embedded.stop()
        self.stdout.write("stopped: " + ", ".join(stopped) if stopped else "nothing was running")
