"""Fixed-window rate limits in Redis, under seed 000's keys (`studyin:ratelimit:{id}:{endpoint}`).

Two ways to use them:
- `ratelimit_hit`: count this request and say whether it is over (a plain request budget);
- `ratelimit_wait` before an attempt and `ratelimit_count` after a failed one (log-in): only
  failures count, and an attempt refused by a limit counts against nothing, so a refused
  attacker cannot run up the other limits.
A limit counts attempts, or, with `member`, distinct members (the addresses failing at one
account, say).

Rate limits protect StudyIn; they are not worth an outage. With Redis down a limit lets the
request through (and logs that it could not count it) rather than refusing everyone.
"""

import ipaddress
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
    attempts: int  # allowed in one window (distinct members, with `member`)
    window: int  # seconds
    member: str = ""  # count distinct members rather than attempts


def address_key(ip: str) -> str:
    """A client address as the limits count it: an IPv6 client by its /64, which one household
    or server gets whole (a new address per attempt must not mean a new budget)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(limit: Limit, endpoint: str) -> str:
    return cache.make_key(ratelimit_key(limit.subject, endpoint))


def ratelimit_hit(*, endpoint: str, limits: list[Limit]) -> int | None:
    """Count one attempt against every limit. Returns None while all of them allow it, else the
    seconds until the longest-blocked limit's window ends (for "try again in …")."""
    if not _count(endpoint, limits):
        return None
    return ratelimit_wait(endpoint=endpoint, limits=limits, allowance=1)


def ratelimit_wait(*, endpoint: str, limits: list[Limit], allowance: int = 0) -> int | None:
    """Seconds until another attempt is allowed, or None when it is now. Counts nothing.
    (`allowance`: attempts already counted that are allowed to reach the limit itself.)"""
    try:
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for limit in limits:
            key = _key(limit, endpoint)
            pipe.scard(key) if limit.member else pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except RedisError as exc:
        logger.warning("rate limit %s not read, Redis is unreachable: %s", endpoint, exc)
        return None
    waits = [
        max(1, ttl)
        for limit, count, ttl in zip(limits, replies[0::2], replies[1::2], strict=True)
        if int(count or 0) >= limit.attempts + allowance
    ]
    return max(waits) if waits else None


def ratelimit_count(*, endpoint: str, limits: list[Limit]) -> None:
    """Count one (failed) attempt against every limit."""
    _count(endpoint, limits)


def _count(endpoint: str, limits: list[Limit]) -> bool:
    try:
        redis = get_redis_connection("default")
        pipe = redis.pipeline(transaction=True)
        for limit in limits:
            key = _key(limit, endpoint)
            if limit.member:
                pipe.sadd(key, limit.member)
                pipe.ttl(key)
            else:
                # SET NX EX creates the counter together with its TTL, and INCR keeps that TTL,
                # so no counter outlives its window (INCR then EXPIRE could, if we died between).
                pipe.set(key, 0, ex=limit.window, nx=True)
                pipe.incr(key)
        replies = pipe.execute()
        for limit, ttl in zip(limits, replies[1::2], strict=True):
            if limit.member and ttl < 0:  # a set just made: its window starts now
                redis.expire(_key(limit, endpoint), limit.window)
    except RedisError as exc:
        logger.warning("rate limit %s not counted, Redis is unreachable: %s", endpoint, exc)
        return False
    return True


def ratelimit_clear(*, endpoint: str, subject: str) -> None:
    try:
        get_redis_connection("default").delete(cache.make_key(ratelimit_key(subject, endpoint)))
    except RedisError as exc:
        logger.warning("rate limit %s of %s not cleared, Redis is unreachable: %s", endpoint, subject, exc)
