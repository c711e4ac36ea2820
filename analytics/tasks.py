from celery import shared_task
from django.conf import settings

from analytics.partitions import partitions_maintain as maintain


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def partitions_maintain() -> list[str]:
    """Monthly (beat): partitions ahead, and seed 000's retention for analytics applied."""
    return maintain(
        months_ahead=settings.PARTITION_MONTHS_AHEAD,
        archive_older_than=settings.PARTITION_ARCHIVE_AFTER_MONTHS,
        drop_older_than=settings.PARTITION_DROP_AFTER_MONTHS,
    )
