from celery import shared_task
from django.db import InterfaceError, OperationalError

from questions import quality


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=540,
    time_limit=600,
)
def item_statistics_refresh() -> int:
    """Hourly (beat): facility, discrimination, quality and difficulty from students' answers."""
    return quality.item_statistics_refresh()
