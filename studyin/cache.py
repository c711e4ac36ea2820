"""Redis key layout of seed 000: every key is `studyin:<parts>`."""


def make_key(key: str, key_prefix: str, version: int) -> str:
    # No version segment: keys read exactly as the seed documents them (studyin:user:{id}:stats).
    return f"{key_prefix}:{key}" if key_prefix else key


def user_stats_key(user_id) -> str:
    return f"user:{user_id}:stats"


def user_due_reviews_key(user_id) -> str:
    return f"user:{user_id}:due_reviews"


def ratelimit_key(subject: str, endpoint: str) -> str:
    return f"ratelimit:{subject}:{endpoint}"


def leaderboard_key(timeframe: str) -> str:
    return f"leaderboard:{timeframe}"  # a sorted set of user id -> XP; timeframe: the ISO week, 2026-W49
