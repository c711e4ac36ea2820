"""Database upkeep on beat's schedule (the commands hold the logic)."""

from io import StringIO

from celery import shared_task
from django.core.management import call_command


@shared_task(acks_late=True, soft_time_limit=3 * 3600, time_limit=3 * 3600 + 300)
def reindex() -> str:
    """Weekly (beat): `manage.py reindex --invalid-only`: an index a failed concurrent build left
    invalid is rebuilt. A full rebuild (`manage.py reindex`) is the operator's call when
    `db_health` shows bloat; PostgreSQL's B-trees deduplicate and rarely need it."""
    out = StringIO()
    call_command("reindex", "--invalid-only", stdout=out)
    return out.getvalue().splitlines()[-1]
