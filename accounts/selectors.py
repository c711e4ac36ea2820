"""Reads for accounts: finding the single-use token behind an e-mailed link."""

import hashlib
import uuid

from django.utils import timezone

from accounts.models import EmailVerificationToken, PasswordResetToken, SingleUseToken
from studyin.rls import rls_context


class TokenInvalid(Exception):
    """An e-mailed link that cannot be used. `reason` is "invalid", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_hash(raw: str) -> str:
    """Only this digest is stored; the raw token exists in the e-mail alone."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _token_get(*, model: type[SingleUseToken], user_id: uuid.UUID, token: str) -> SingleUseToken:
    # The link names its user, so the lookup runs as that user: row-level security alone
    # keeps another user's token out of reach, and the user_id filter says so explicitly.
    with rls_context(user_id=user_id):
        row = model.objects.filter(user_id=user_id, token_hash=token_hash(token)).first()
    if row is None:
        raise TokenInvalid("invalid")
    if row.is_used:
        raise TokenInvalid("used")
    if row.expires_at <= timezone.now():
        raise TokenInvalid("expired")
    return row


def email_verification_token_get(*, user_id: uuid.UUID, token: str) -> EmailVerificationToken:
    return _token_get(model=EmailVerificationToken, user_id=user_id, token=token)


def password_reset_token_get(*, user_id: uuid.UUID, token: str) -> PasswordResetToken:
    return _token_get(model=PasswordResetToken, user_id=user_id, token=token)
