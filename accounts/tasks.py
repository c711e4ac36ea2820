from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database restarting or failing over
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def tokens_purge_expired() -> dict[str, int]:
    """Daily (beat): delete verification, reset and refresh tokens dead for more than a day."""
    return services.tokens_purge_expired()
