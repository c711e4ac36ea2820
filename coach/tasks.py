"""Celery tasks: thin wrappers that take ids and call one service (coach/services.py)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from coach import services
from medtext.errors import TransientServiceError

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
# Errors that may clear up: the model endpoint (timeouts, 429, 5xx), a database restarting.
TRANSIENT_ERRORS = (TransientServiceError, OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES,
             soft_time_limit=240, time_limit=270)  # fmt: skip
def reply_write(self, reply_id: str) -> None:
    """Write the coach's pending reply. A transient error (the model endpoint timed out, Redis or
    PostgreSQL restarting) is retried with backoff; on the last try, and on any other error, the
    reply ends failed with a readable reason and a retry button. Safe to deliver twice."""
    try:
        services.reply_write(reply_id=reply_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 * 2**self.request.retries) from exc
        logger.warning("coach reply %s failed after %s tries: %s", reply_id, self.request.retries + 1, exc)
        services.reply_fail(reply_id=reply_id, reason=services.failure_reason(exc))
    except Exception as exc:
        logger.exception("coach reply %s failed", reply_id)
        services.reply_fail(reply_id=reply_id, reason=services.failure_reason(exc))
