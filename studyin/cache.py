"""Redis key layout of seed 000: every key is `studyin:<parts>`."""


def make_key(key: str, key_prefix: str, version: int) -> str:
    # No version segment: keys read exactly as the seed documents them (studyin:user:{id}:stats).
    return f"{key_prefix}:{key}" if key_prefix else key


def user_stats_key(user_id) -> str:
    return f"user:{user_id}:stats"


PROGRESS_RANGES = ("7", "30", "90", "all")  # the progress page's date ranges (days)


def user_progress_key(user_id, days: str) -> str:
    return f"user:{user_id}:progress:{days}"  # the progress page's rendered body, a range each


def stats_invalidate(user_id, *, due_reviews: bool = False) -> None:
    """Drop what is cached of a student's numbers (the dashboard's stats, the progress page), and
    with `due_reviews` the review count; with Redis down this is a no-op, like every cache call."""
    from django.core.cache import cache

    keys = [user_stats_key(user_id), *(user_progress_key(user_id, r) for r in PROGRESS_RANGES)]
    cache.delete_many(keys + ([user_due_reviews_key(user_id)] if due_reviews else []))


def user_due_reviews_key(user_id) -> str:
    return f"user:{user_id}:due_reviews"


def ratelimit_key(subject: str, endpoint: str) -> str:
    return f"ratelimit:{subject}:{endpoint}"


def leaderboard_key(timeframe: str) -> str:
    return f"leaderboard:{timeframe}"  # a sorted set of user id -> XP; timeframe: the ISO week, 2026-W49
