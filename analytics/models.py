"""Analytics tables, range-partitioned by month on created_at (migration 0001 creates them with
RunSQL; `manage.py partitions` keeps partitions ahead and retires old ones).

Rows outlive their user anonymised: user_id is set NULL and the personal JSON emptied (a trigger
does the emptying, so no path can forget it).

The admin cannot show models with a composite primary key, so each table has a second,
read-only model (`*Row`) that names `id` alone as its key; ids are random UUIDs.
"""

import uuid

from django.db import models

from studyin.models import created_at_field, owner_field


class StudySessionType(models.TextChoices):
    """practice's block modes (practice.models.SessionType), which analytics records but, sitting
    below practice, cannot import."""

    TIMED = "timed"
    TUTOR = "tutor"
    REVIEW = "review"
    TEST = "test"


def _user():
    return owner_field("+", null=True, blank=True, on_delete=models.SET_NULL)


class AnalyticsRow(models.Model):
    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.id} ({self.created_at:%Y-%m-%d})"


class StudySessionFields(AnalyticsRow):
    user = _user()
    session_type = models.CharField(max_length=10, choices=StudySessionType.choices)
    duration_seconds = models.IntegerField()
    questions_answered = models.IntegerField(default=0)
    xp_earned = models.IntegerField(default=0)
    activity_data = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    created_at = created_at_field()

    class Meta:
        abstract = True


class PerformanceMetricFields(AnalyticsRow):
    user = _user()
    metric_date = models.DateField()
    topic = models.CharField(max_length=255, null=True, blank=True)
    questions_attempted = models.IntegerField(default=0)
    accuracy_rate = models.FloatField(null=True, blank=True)
    avg_time_per_question = models.FloatField(null=True, blank=True)
    xp_earned = models.IntegerField(default=0)
    detailed_metrics = models.JSONField(default=dict, blank=True)
    created_at = created_at_field()

    class Meta:
        abstract = True


class RetentionAnalyticFields(AnalyticsRow):
    user = _user()
    retention_date = models.DateField()
    cards_reviewed = models.IntegerField(default=0)
    cards_correct = models.IntegerField(default=0)
    retention_rate = models.FloatField(null=True, blank=True)
    topic_breakdown = models.JSONField(default=dict, blank=True)
    created_at = created_at_field()

    class Meta:
        abstract = True


class StudySession(StudySessionFields):
    pk = models.CompositePrimaryKey("id", "created_at")
    id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        db_table = "study_sessions"


class PerformanceMetric(PerformanceMetricFields):
    pk = models.CompositePrimaryKey("id", "created_at")
    id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        db_table = "performance_metrics"


class RetentionAnalytic(RetentionAnalyticFields):
    pk = models.CompositePrimaryKey("id", "created_at")
    id = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        db_table = "retention_analytics"


class StudySessionRow(StudySessionFields):
    id = models.UUIDField(primary_key=True)

    class Meta:
        managed = False
        db_table = "study_sessions"
        verbose_name = "study session"


class PerformanceMetricRow(PerformanceMetricFields):
    id = models.UUIDField(primary_key=True)

    class Meta:
        managed = False
        db_table = "performance_metrics"
        verbose_name = "performance metric"


class RetentionAnalyticRow(RetentionAnalyticFields):
    id = models.UUIDField(primary_key=True)

    class Meta:
        managed = False
        db_table = "retention_analytics"
        verbose_name = "retention analytic"


class UserStats(models.Model):
    """A student's all-time numbers from `user_stats_mv` (refreshed by beat), read through the
    `user_stats` view, which keeps to the student's own row (migration 0003)."""

    user = models.OneToOneField("accounts.User", on_delete=models.DO_NOTHING, primary_key=True, related_name="+")
    xp = models.IntegerField()
    level = models.IntegerField()
    current_streak = models.IntegerField()
    total_questions_answered = models.IntegerField()
    total_correct = models.IntegerField()
    overall_accuracy = models.FloatField(null=True)
    materials_uploaded = models.IntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "user_stats"
        verbose_name_plural = "user stats"

    def __str__(self) -> str:
        return f"stats of {self.user_id}"
