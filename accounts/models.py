import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from studyin.models import UUIDModel, choices_check, created_at_field, owner_field


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_verified=True)
        extra.setdefault("name", email.split("@")[0])
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email=username.lower())


class Scheduler(models.TextChoices):
    FSRS = "fsrs", "FSRS (recommended)"
    SM2 = "sm2", "SM-2 (classic Anki)"


class User(UUIDModel, AbstractBaseUser, PermissionsMixin):
    """Seed 000's `users`. Django adds only `is_staff`, `is_superuser` and the group tables."""

    email = models.EmailField(max_length=255)
    password = models.CharField(max_length=255, db_column="hashed_password")
    name = models.CharField(max_length=255)
    avatar_url = models.URLField(max_length=500, null=True, blank=True)  # noqa: DJ001 - the seed: NULL, no avatar

    xp = models.IntegerField(default=0, db_default=0)
    level = models.IntegerField(default=1, db_default=1)
    current_streak = models.IntegerField(default=0, db_default=0)
    max_streak = models.IntegerField(default=0, db_default=0)
    last_study_date = models.DateTimeField(null=True, blank=True)

    daily_goal_minutes = models.IntegerField(default=30, db_default=30)
    notifications_enabled = models.BooleanField(default=True, db_default=True)
    # Added to the seed: the student's day for streaks and goals, how reviews are scheduled,
    # the exam the reviews aim at, streak freezes held, and the weekly leaderboard.
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC")
    scheduler = models.CharField(max_length=10, choices=Scheduler.choices, default=Scheduler.FSRS, db_default="fsrs")
    desired_retention = models.FloatField(default=0.9, db_default=0.9)
    exam_date = models.DateField(null=True, blank=True)
    streak_freezes = models.IntegerField(default=0, db_default=0)
    leaderboard_opt_in = models.BooleanField(default=False, db_default=False)

    is_active = models.BooleanField(default=True, db_default=True)
    is_verified = models.BooleanField(default=False, db_default=False)
    is_staff = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    last_login = None  # not in the seed; last_study_date is what StudyIn tracks

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        constraints = [
            models.UniqueConstraint(fields=["email"], name="users_email_key"),
            models.CheckConstraint(
                condition=Q(email__iregex=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
                name="valid_email",
            ),
            models.CheckConstraint(condition=Q(xp__gte=0), name="positive_xp"),
            models.CheckConstraint(condition=Q(level__gte=1), name="positive_level"),
            models.CheckConstraint(
                condition=Q(daily_goal_minutes__gt=0, daily_goal_minutes__lte=480), name="valid_daily_goal"
            ),
            models.CheckConstraint(
                condition=Q(desired_retention__gte=0.7, desired_retention__lte=0.97), name="valid_desired_retention"
            ),
            models.CheckConstraint(
                condition=Q(streak_freezes__gte=0, streak_freezes__lte=2), name="valid_streak_freezes"
            ),
            choices_check("users", "scheduler", Scheduler),
        ]
        # idx_users_email is left out: users_email_key already indexes email.
        indexes = [
            models.Index(fields=["is_active"], name="idx_users_active", condition=Q(is_active=True)),
            models.Index(fields=["is_verified"], name="idx_users_verified", condition=Q(is_verified=True)),
            models.Index(
                F("last_study_date").desc(), name="idx_users_last_study", condition=Q(last_study_date__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


def _expiry_check() -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="valid_expiration")


class SingleUseToken(UUIDModel):
    """A token sent by e-mail. Only its SHA-256 hash is stored; it works once, until it expires."""

    token_hash = models.CharField(max_length=64)
    is_used = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()
    expires_at = models.DateTimeField()

    class Meta:
        abstract = True

    def is_usable(self) -> bool:
        return not self.is_used and self.expires_at > timezone.now()


class EmailVerificationToken(SingleUseToken):
    user = owner_field("email_verification_tokens")

    class Meta:
        db_table = "email_verification_tokens"
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="email_verification_tokens_token_hash_key"),
            _expiry_check(),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_email_verification_user_id"),
            models.Index(fields=["expires_at"], name="idx_email_verification_expires", condition=Q(is_used=False)),
        ]


class PasswordResetToken(SingleUseToken):
    user = owner_field("password_reset_tokens")

    class Meta:
        db_table = "password_reset_tokens"
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="password_reset_tokens_token_hash_key"),
            _expiry_check(),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_password_reset_user_id"),
            models.Index(fields=["expires_at"], name="idx_password_reset_expires", condition=Q(is_used=False)),
        ]


class RefreshToken(UUIDModel):
    """Refresh-token rotation with family tracking (seed 000); the token API comes later."""

    user = owner_field("refresh_tokens")
    token_hash = models.CharField(max_length=64)
    family_id = models.UUIDField(default=uuid.uuid4)
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_column="replaces",
        db_index=False,
        related_name="+",
    )
    is_revoked = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "refresh_tokens"
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="refresh_tokens_token_hash_key"),
            _expiry_check(),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_refresh_tokens_user_id"),
            models.Index(fields=["family_id"], name="idx_refresh_tokens_family_id", condition=Q(is_revoked=False)),
            models.Index(fields=["expires_at"], name="idx_refresh_tokens_expires_at", condition=Q(is_revoked=False)),
        ]


class AuditAction(models.TextChoices):
    STAFF_CHANGED = "staff_changed"  # is_staff or is_superuser set or cleared, groups or permissions changed
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    ACCOUNT_DELETED = "account_deleted"
    ACCOUNT_EXPORTED = "account_exported"
    MODERATION = "moderation"  # staff verified, flagged, edited... questions or materials


class AuditEvent(models.Model):
    """A row of the append-only `audit_log` (migration 0004, partitioned by month): the table
    refuses updates and deletes. People are named by `accounts.audit.person_key`, never by id or
    e-mail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    action = models.CharField(max_length=50, choices=AuditAction.choices)
    actor_key = models.CharField(max_length=64, null=True, blank=True)
    subject_key = models.CharField(max_length=64, null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        managed = False
        db_table = "audit_log"
        ordering = ["-created_at"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
