import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from analytics import services
from analytics.partitions import partitions_maintain as maintain
from studyin.rls import ROLE_SYSTEM, rls_context


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def partitions_maintain() -> list[str]:
    """Monthly (beat): partitions ahead, and seed 000's retention for analytics applied."""
    return maintain(
        months_ahead=settings.PARTITION_MONTHS_AHEAD,
        archive_older_than=settings.PARTITION_ARCHIVE_AFTER_MONTHS,
        drop_older_than=settings.PARTITION_DROP_AFTER_MONTHS,
    )


@shared_task(acks_late=True, soft_time_limit=1700, time_limit=1800)
def day_metrics_write(day: str | None = None) -> dict[str, int]:
    """Nightly (beat): yesterday's performance_metrics and retention_analytics, replaced. Every
    time zone has finished "yesterday" (UTC) by the run, at 14:30 UTC at the latest, so beat runs
    it twice: early for most students, and after the last time zone's midnight."""
    target = datetime.date.fromisoformat(day) if day else timezone.now().date() - datetime.timedelta(days=1)
    with rls_context(role=ROLE_SYSTEM):
        return services.day_metrics_write(day=target)


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def user_stats_refresh() -> None:
    """Every 15 minutes (beat): user_stats_mv, refreshed concurrently."""
    with rls_context(role=ROLE_SYSTEM):
        services.user_stats_refresh()
