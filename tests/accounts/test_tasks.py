import datetime

import pytest
from django.utils import timezone

from accounts import tasks
from accounts.models import EmailVerificationToken, PasswordResetToken, RefreshToken
from studyin.rls import rls_context
from tests.accounts.helpers import DAY, HOUR, make_token

pytestmark = pytest.mark.django_db


def _refresh_token(user, raw, *, expires_in=DAY, age=datetime.timedelta(0), **fields):
    now = timezone.now()
    return RefreshToken.objects.create(
        user=user, token_hash=f"{raw:0>64}", created_at=now - age, expires_at=now + expires_in, **fields
    )


def test_purge_deletes_exactly_the_tokens_dead_for_more_than_a_day(student, peer):
    doomed, kept = [], []
    for model in (EmailVerificationToken, PasswordResetToken):
        short = model.__name__
        kept += [
            make_token(model, student, f"{short}-live"),
            make_token(model, peer, f"{short}-expired-an-hour-ago", expires_in=-HOUR, age=2 * HOUR),
            make_token(model, student, f"{short}-used-an-hour-ago", age=HOUR, is_used=True),
            make_token(model, peer, f"{short}-old-but-live", expires_in=DAY, age=3 * DAY),
        ]
        doomed += [
            make_token(model, student, f"{short}-expired-two-days-ago", expires_in=-2 * DAY, age=3 * DAY),
            make_token(model, peer, f"{short}-used-two-days-ago", expires_in=HOUR, age=2 * DAY, is_used=True),
        ]
    live_refresh = _refresh_token(student, "1")
    kept += [
        live_refresh,
        _refresh_token(student, "2", age=HOUR, is_revoked=True),
        _refresh_token(peer, "3", expires_in=-HOUR, age=30 * DAY),
    ]
    doomed += [
        _refresh_token(student, "4", age=2 * DAY, is_revoked=True, replaces=live_refresh),
        _refresh_token(peer, "5", expires_in=-2 * DAY, age=30 * DAY),
        _refresh_token(peer, "6", expires_in=-3 * DAY, age=30 * DAY, is_revoked=True),
    ]
    # A live token that replaced a purged one keeps living, its `replaces` set to NULL.
    successor = _refresh_token(student, "7", replaces=doomed[-1])
    kept.append(successor)

    counts = tasks.tokens_purge_expired()

    assert counts == {"email_verification_tokens": 2, "password_reset_tokens": 2, "refresh_tokens": 3}
    for row in doomed:
        assert not type(row).objects.filter(pk=row.pk).exists()
    for row in kept:
        assert type(row).objects.filter(pk=row.pk).exists()
    successor.refresh_from_db()
    assert successor.replaces_id is None


def test_purge_is_safe_to_run_twice(student):
    make_token(EmailVerificationToken, student, "old", expires_in=-2 * DAY, age=3 * DAY)
    live = make_token(PasswordResetToken, student, "live")

    tasks.tokens_purge_expired()
    counts = tasks.tokens_purge_expired.apply().get()

    assert counts == {"email_verification_tokens": 0, "password_reset_tokens": 0, "refresh_tokens": 0}
    assert list(PasswordResetToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert not EmailVerificationToken.objects.exists()


def test_purge_runs_in_the_system_context_whatever_the_callers(student, peer):
    make_token(EmailVerificationToken, peer, "peers-old", expires_in=-2 * DAY, age=3 * DAY)

    with rls_context(user_id=student.pk):
        counts = tasks.tokens_purge_expired()

    assert counts["email_verification_tokens"] == 1
    assert not EmailVerificationToken.objects.exists()


def test_the_task_acknowledges_late():
    assert tasks.tokens_purge_expired.acks_late is True
