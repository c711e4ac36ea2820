from django.db import models
from django.db.models import F, Q

from studyin.models import UUIDModel, choices_check, created_at_field, non_negative, owner_field


class AchievementCategory(models.TextChoices):
    MILESTONE = "milestone"
    STREAK = "streak"
    MASTERY = "mastery"
    SPEED = "speed"
    CONSISTENCY = "consistency"
    SPECIAL = "special"


class AchievementRarity(models.TextChoices):
    COMMON = "common"
    UNCOMMON = "uncommon"
    RARE = "rare"
    EPIC = "epic"
    LEGENDARY = "legendary"


class Achievement(UUIDModel):
    code = models.CharField(max_length=100)  # first_question, streak_7, ...
    name = models.CharField(max_length=255)
    description = models.TextField()
    icon = models.CharField(max_length=500, null=True, blank=True)  # an emoji or an icon URL
    category = models.CharField(max_length=20, choices=AchievementCategory.choices)
    xp_reward = models.IntegerField(default=0, db_default=0)
    unlock_conditions = models.JSONField()
    rarity = models.CharField(
        max_length=20,
        choices=AchievementRarity.choices,
        default=AchievementRarity.COMMON,
        db_default=AchievementRarity.COMMON,
    )
    is_active = models.BooleanField(default=True, db_default=True)
    created_at = created_at_field()

    class Meta:
        db_table = "achievements"
        constraints = [
            # idx_achievements_code is left out: achievements_code_key indexes code.
            models.UniqueConstraint(fields=["code"], name="achievements_code_key"),
            models.CheckConstraint(condition=Q(xp_reward__gte=0), name="positive_xp_reward"),
            choices_check("achievements", "category", AchievementCategory),
            choices_check("achievements", "rarity", AchievementRarity),
        ]
        indexes = [
            models.Index(fields=["category"], name="idx_achievements_category"),
            models.Index(fields=["is_active"], name="idx_achievements_active", condition=Q(is_active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.icon or ''} {self.name}".strip()


class UserAchievement(UUIDModel):
    user = owner_field("achievements")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="+", db_index=False)
    progress = models.IntegerField(default=0, db_default=0)
    is_completed = models.BooleanField(default=False, db_default=False)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "user_achievements"
        constraints = [
            # idx_user_achievements_user_id is left out (unique_user_achievement starts with
            # user_id), and so is idx_user_achievements_completed (a plain boolean index).
            models.UniqueConstraint(fields=["user", "achievement"], name="unique_user_achievement"),
        ]
        indexes = [models.Index(F("unlocked_at").desc(nulls_last=True), name="idx_user_achievements_unlocked_at")]


class XPSource(models.TextChoices):
    QUESTION_ANSWERED = "question_answered"
    STREAK_BONUS = "streak_bonus"
    ACHIEVEMENT_UNLOCK = "achievement_unlock"
    MILESTONE_COMPLETE = "milestone_complete"
    REVIEW_COMPLETE = "review_complete"
    DAILY_GOAL_MET = "daily_goal_met"


class XPTransaction(UUIDModel):
    """The XP ledger: users.xp is the sum of a user's amounts."""

    user = owner_field("xp_transactions")
    amount = models.IntegerField()  # may be negative (penalties, corrections)
    source = models.CharField(max_length=30, choices=XPSource.choices)
    description = models.TextField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "xp_transactions"
        verbose_name = "XP transaction"
        constraints = [choices_check("xp_transactions", "source", XPSource)]
        indexes = [
            models.Index(fields=["user"], name="idx_xp_transactions_user_id"),
            models.Index(F("created_at").desc(), name="idx_xp_transactions_created_at"),
            models.Index(fields=["source"], name="idx_xp_transactions_source"),
        ]


class UserStreak(UUIDModel):
    """One row per day a user studied."""

    user = owner_field("streak_days")
    streak_date = models.DateField()
    is_frozen = models.BooleanField(default=False, db_default=False)  # a streak freeze was used
    questions_answered = models.IntegerField(default=0, db_default=0)
    study_minutes = models.IntegerField(default=0, db_default=0)  # study_seconds // 60
    # Added to the seed: minutes are too coarse to add up answers of 40 s; the goal's XP once a day.
    study_seconds = models.IntegerField(default=0, db_default=0)
    goal_met = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()

    class Meta:
        db_table = "user_streaks"
        constraints = [
            # idx_streaks_user_id and idx_streaks_user_date are left out: unique_user_streak_date
            # is (user_id, streak_date), and a btree scans backwards as well as forwards.
            models.UniqueConstraint(fields=["user", "streak_date"], name="unique_user_streak_date"),
            models.CheckConstraint(
                condition=non_negative("questions_answered", "study_minutes"), name="positive_counts"
            ),
        ]
        indexes = [models.Index(F("streak_date").desc(), name="idx_streaks_date")]
