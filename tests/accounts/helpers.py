"""Tokens in a chosen state, stored as the services store them (only the SHA-256 of the raw token)."""

import datetime
import re

from django.utils import timezone

from accounts.selectors import token_hash

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
LINK = re.compile(r"/accounts/(?:verify|reset)/(?P<user_id>[0-9a-f-]{36})/(?P<token>[A-Za-z0-9_-]+)/")


def make_token(model, user, raw: str, *, expires_in=HOUR, age=datetime.timedelta(0), **fields):
    """A token created `age` ago that expires `expires_in` from now (negative: already expired).

    The valid_expiration CHECK wants expires_at > created_at, so a token that has expired must
    also have been created further in the past.
    """
    now = timezone.now()
    return model.objects.create(
        user=user, token_hash=token_hash(raw), created_at=now - age, expires_at=now + expires_in, **fields
    )


def make_expired_token(model, user, raw: str, **fields):
    return make_token(model, user, raw, expires_in=-HOUR, age=2 * HOUR, **fields)


def link_in(message) -> tuple[str, str]:
    """(user_id, raw token) of the link in an e-mail."""
    match = LINK.search(message.body)
    assert match, message.body
    return match["user_id"], match["token"]
