"""Celery tasks: thin wrappers that take ids and call one service (materials/services.py)."""

from celery import shared_task

from materials import services

MAX_RETRIES = 5


def _backoff(retries: int) -> int:
    return min(600, 15 * 2**retries)  # 15 s, 30 s, 1 min, 2 min, 4 min


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def stage_run(self, job_id: str, user_id: str) -> None:
    """Run one pipeline stage, then queue the next. Safe to deliver twice: the stage is
    claimed with a conditional update, so a second delivery finds nothing to do."""
    try:
        following = services.job_run(job_id=job_id, user_id=user_id, last_try=self.request.retries >= self.max_retries)
    except services.TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    if following is not None:
        stage_run.delay(str(following.pk), user_id)


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def jobs_reap() -> dict[str, int]:
    """Every minute (beat): take over stages whose worker died, resend stages never received."""
    return services.jobs_reap()
