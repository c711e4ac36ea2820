"""Redis key layout of seed 000: every key is `studyin:<parts>`."""


def make_key(key: str, key_prefix: str, version: int) -> str:
    # No version segment: keys read exactly as the seed documents them (studyin:user:{id}:stats).
    return f"{key_prefix}:{key}" if key_prefix else key


def ratelimit_key(subject: str, endpoint: str) -> str:
    return f"ratelimit:{subject}:{endpoint}"
