"""Fixed-window rate limits in Redis, under seed 000's keys (`studyin:ratelimit:{id}:{endpoint}`).

Rate limits protect StudyIn; they are not worth an outage. With Redis down a limit lets the
request through (and logs that it could not count it) rather than refusing everyone.
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from studyin.cache import ratelimit_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    subject: str  # whose attempts: a user id, "ip-10.0.0.1", ...
    attempts: int  # allowed in one window
    window: int  # seconds


def ratelimit_hit(*, endpoint: str, limits: list[Limit]) -> int | None:
    """Count one attempt against every limit. Returns None while all of them allow it, else the
    seconds until the longest-blocked limit's window ends (for "try again in …")."""
    keys = [cache.make_key(ratelimit_key(limit.subject, endpoint)) for limit in limits]
    try:
        pipe = get_redis_connection("default").pipeline(transaction=True)
        for key, limit in zip(keys, limits, strict=True):
            # SET NX EX creates the counter together with its TTL, and INCR keeps that TTL, so no
            # counter can outlive its window (INCR then EXPIRE could, if we died in between).
            pipe.set(key, 0, ex=limit.window, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except RedisError as exc:
        logger.warning("rate limit %s not counted, Redis is unreachable: %s", endpoint, exc)
        return None
    waits = [
        max(1, ttl)
        for limit, count, ttl in zip(limits, replies[1::3], replies[2::3], strict=True)
        if count > limit.attempts
    ]
    return max(waits) if waits else None


def ratelimit_clear(*, endpoint: str, subject: str) -> None:
    try:
        get_redis_connection("default").delete(cache.make_key(ratelimit_key(subject, endpoint)))
    except RedisError as exc:
        logger.warning("rate limit %s of %s not cleared, Redis is unreachable: %s", endpoint, subject, exc)
