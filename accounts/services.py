"""Writes for accounts: sign-up, e-mail verification, log-in with rate limits, profile, password
reset, and the purge of dead tokens.

Token tables have row-level security. A verification or reset link names its user, so these
services switch the context to that user id (`rls_context(user_id=...)`) and can only ever reach
that user's tokens; no broad role is needed outside the purge.
"""

import datetime
import secrets
import uuid
from functools import partial

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditAction, EmailVerificationToken, PasswordResetToken, RefreshToken, SingleUseToken, User
from accounts.selectors import TokenInvalid, email_verification_token_get, password_reset_token_get, token_hash
from studyin.cache import stats_invalidate
from studyin.ratelimit import Limit, address_key, ratelimit_clear, ratelimit_count, ratelimit_wait
from studyin.rls import ROLE_SYSTEM, rls_context

PURGE_GRACE = datetime.timedelta(days=1)


class EmailTaken(Exception):
    """Another account already uses this e-mail address."""


class LoginFailed(Exception):
    """Wrong e-mail or password, or an inactive account: the user is not told which."""


class LoginRateLimited(Exception):
    """Too many attempts for this account, from this address, or both; `seconds` until the
    blocking window ends."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def email_normalise(email: str) -> str:
    # User.save() lowercases the whole address, so every lookup must do the same.
    return email.strip().lower()


# --- E-mail ----------------------------------------------------------------------------------


def _email_send(*, to: str, template: str, context: dict) -> None:
    subject = "".join(render_to_string(f"accounts/email/{template}_subject.txt", context).splitlines())
    body = render_to_string(f"accounts/email/{template}_body.txt", context)
    send_mail(subject, body, None, [to])


def _email_send_on_commit(*, to: str, template: str, context: dict) -> None:
    # Only once the token is committed can its link work. robust=True: a failing mail server
    # is logged instead of turning a committed sign-up into a 500; the user can ask again.
    transaction.on_commit(partial(_email_send, to=to, template=template, context=context), robust=True)


def _site_url(site_url: str, viewname: str, **kwargs) -> str:
    """An absolute link for an e-mail: SITE_URL when set, else `site_url`, the address the
    student's page came from (the server may run on any host and port)."""
    return (settings.SITE_URL or site_url).rstrip("/") + reverse(viewname, kwargs=kwargs)


def _token_create(*, model: type[SingleUseToken], user: User, ttl: datetime.timedelta) -> str:
    """Store a new token's hash for `user` (the caller has set the context) and return the raw token."""
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    model.objects.create(user=user, token_hash=token_hash(raw), created_at=now, expires_at=now + ttl)
    return raw


def _token_claim(row: SingleUseToken) -> None:
    """Spend a token found usable. Two clicks at the same time both found it usable; only one
    of them can flip is_used, and the other is told the link was used."""
    if not type(row).objects.filter(pk=row.pk, is_used=False, expires_at__gt=Now()).update(is_used=True):
        raise TokenInvalid("used")


# --- Sign-up and e-mail verification -----------------------------------------------------------


def email_verification_send(*, user: User, site_url: str) -> None:
    """Send a fresh verification link; links sent earlier stop working."""
    with rls_context(user_id=user.pk):
        EmailVerificationToken.objects.filter(user=user, is_used=False).update(is_used=True)
        raw = _token_create(
            model=EmailVerificationToken,
            user=user,
            ttl=datetime.timedelta(hours=settings.EMAIL_VERIFICATION_TTL_HOURS),
        )
    _email_send_on_commit(
        to=user.email,
        template="verify",
        context={
            "name": user.name,
            "url": _site_url(site_url, "accounts:verify", user_id=user.pk, token=raw),
            "ttl_hours": settings.EMAIL_VERIFICATION_TTL_HOURS,
        },
    )


def user_signup(*, email: str, name: str, password: str, site_url: str) -> User:
    """Create an unverified account and e-mail it a verification link."""
    with transaction.atomic():
        try:
            # The form already refused a known address; two sign-ups racing for the same one
            # still meet at the unique constraint, inside a savepoint so we can report it.
            with transaction.atomic():
                user = User.objects.create_user(email=email_normalise(email), password=password, name=name.strip())
        except IntegrityError as exc:
            if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == "users_email_key":
                raise EmailTaken from exc
            raise
        email_verification_send(user=user, site_url=site_url)
    return user


def email_verify(*, user_id: uuid.UUID, token: str) -> User:
    """Mark the user verified if `token` is one of their unused, unexpired verification tokens."""
    with rls_context(user_id=user_id):
        _token_claim(email_verification_token_get(user_id=user_id, token=token))
        User.objects.filter(pk=user_id).update(is_verified=True, updated_at=Now())
    return User.objects.get(pk=user_id)


# --- Log-in ----------------------------------------------------------------------------------


def user_authenticate(*, email: str, password: str, client_ip: str) -> User:
    """Check e-mail and password, under three limits on failed attempts (settings):
    - LOGIN_RATE_LIMIT failures a minute for one account from one address: a student's typos
      lock out nobody else, and an attacker at one address gets 5 guesses a minute;
    - LOGIN_IP_RATE_LIMIT failures a minute from one address, whatever the accounts (credential
      stuffing); a campus behind one address logs in freely, as successes do not count;
    - LOGIN_ACCOUNT_ADDRESS_LIMIT addresses failing at one account within an hour: the ceiling
      against guessing spread over many addresses, which one address alone can never reach.
    IPv6 clients count by their /64. An attempt refused by a limit is not checked and counts
    against nothing; LoginRateLimited says when to try again.
    """
    email = email_normalise(email)
    user_id = User.objects.filter(email=email).values_list("pk", flat=True).first()
    # Unknown addresses get counters too (keyed by a hash, to keep addresses out of Redis), so
    # the limits do not reveal which addresses have an account.
    account = str(user_id) if user_id else f"email-{token_hash(email)}"
    address = address_key(client_ip)
    limits = [
        Limit(f"{account}@ip-{address}", settings.LOGIN_RATE_LIMIT, 60),
        Limit(f"ip-{address}", settings.LOGIN_IP_RATE_LIMIT, 60),
        Limit(account, settings.LOGIN_ACCOUNT_ADDRESS_LIMIT, 3600, member=address),
    ]
    wait = ratelimit_wait(endpoint="login", limits=limits)
    if wait is not None:
        raise LoginRateLimited(wait)
    user = authenticate(None, username=email, password=password)  # hashes even for unknown addresses
    if user is None:
        ratelimit_count(endpoint="login", limits=limits)
        raise LoginFailed
    # Success clears this account's failures at this address: whoever just logged in knows the
    # password. The address's and the account's counts stay: one address trying many leaked
    # credentials must not reset its own limit with every hit.
    ratelimit_clear(endpoint="login", subject=limits[0].subject)
    return user


# --- Profile ---------------------------------------------------------------------------------


PROFILE_FIELDS = ("name", "daily_goal_minutes", "notifications_enabled", "time_zone", "exam_date", "scheduler",
                  "desired_retention", "leaderboard_opt_in")  # fmt: skip


def user_profile_update(*, user: User, **fields) -> User:
    """Save the profile's fields (PROFILE_FIELDS); the dashboard's cached numbers depend on some
    (the goal, the day's midnight, the exam), so they are dropped."""
    with transaction.atomic():
        for name in PROFILE_FIELDS:
            if name in fields:
                setattr(user, name, fields[name].strip() if name == "name" else fields[name])
        user.save(update_fields=[*(f for f in PROFILE_FIELDS if f in fields), "updated_at"])
        transaction.on_commit(lambda: stats_invalidate(user.pk))
    return user


# --- Password reset --------------------------------------------------------------------------


def password_reset_request(*, email: str, site_url: str) -> None:
    """E-mail a reset link if an active account has this address. Says nothing either way."""
    user = User.objects.filter(email=email_normalise(email), is_active=True).first()
    if user is None:
        return
    ttl = datetime.timedelta(minutes=settings.PASSWORD_RESET_TTL_MINUTES)
    with rls_context(user_id=user.pk):
        raw = _token_create(model=PasswordResetToken, user=user, ttl=ttl)
    _email_send_on_commit(
        to=user.email,
        template="password_reset",
        context={
            "name": user.name,
            "url": _site_url(site_url, "accounts:password_reset_confirm", user_id=user.pk, token=raw),
            "ttl_minutes": settings.PASSWORD_RESET_TTL_MINUTES,
        },
    )


def password_reset_confirm(*, user_id: uuid.UUID, token: str, password: str) -> User:
    """Set a new password with a reset token; the token and the user's other reset links die."""
    with rls_context(user_id=user_id):
        row = password_reset_token_get(user_id=user_id, token=token)
        user = User.objects.get(pk=user_id)
        if not user.is_active:
            raise TokenInvalid("invalid")
        _token_claim(row)  # before touching the password, so a double submit cannot set two
        PasswordResetToken.objects.filter(user_id=user_id, is_used=False).update(is_used=True)
        user.set_password(password)
        # The link reached this address, which is all that verification proves.
        user.is_verified = True
        user.save(update_fields=["password", "is_verified", "updated_at"])
        audit_record(action=AuditAction.PASSWORD_RESET, subject=user)
    return user


# --- Housekeeping ----------------------------------------------------------------------------


def tokens_purge_expired(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete tokens that have been dead for more than a day; return deletions per table.

    Dead means expired, used (verification, reset) or revoked (refresh). The day of grace lets
    a second click on a spent link say "already used" or "expired" rather than "not valid".
    Safe to run twice: the second run finds nothing.
    """
    cutoff = (now or timezone.now()) - PURGE_GRACE
    deleted = {}
    with rls_context(role=ROLE_SYSTEM):
        for model, spent in (
            (EmailVerificationToken, "is_used"),
            (PasswordResetToken, "is_used"),
            (RefreshToken, "is_revoked"),
        ):
            dead = Q(expires_at__lt=cutoff) | Q(**{spent: True}, created_at__lt=cutoff)
            _, per_model = model.objects.filter(dead).delete()
            deleted[model._meta.db_table] = per_model.get(model._meta.label, 0)
    return deleted
