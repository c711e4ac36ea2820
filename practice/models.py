from django.db import models
from django.db.models import F, Q

from studyin.models import UUIDModel, choices_check, created_at_field, owner_field


class SessionType(models.TextChoices):
    TIMED = "timed"
    TUTOR = "tutor"
    REVIEW = "review"
    TEST = "test"


class SessionStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class PracticeSession(UUIDModel):
    user = owner_field("practice_sessions")
    session_type = models.CharField(max_length=10, choices=SessionType.choices)
    settings = models.JSONField(default=dict, blank=True)  # timer, filters, pools

    total_questions = models.IntegerField(default=0, db_default=0)
    correct_count = models.IntegerField(default=0, db_default=0)
    total_time_seconds = models.IntegerField(default=0, db_default=0)
    xp_earned = models.IntegerField(default=0, db_default=0)

    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.ACTIVE, db_default=SessionStatus.ACTIVE
    )
    # Where the student is and how much of the block clock is used: a pause, a reload or a
    # server restart loses nothing. The clock runs from `resumed_at` while active.
    current_position = models.IntegerField(default=1, db_default=1)
    elapsed_seconds = models.IntegerField(default=0, db_default=0)
    resumed_at = models.DateTimeField(null=True, blank=True)
    time_limit_seconds = models.IntegerField(null=True, blank=True)  # timed and test blocks
    started_at = models.DateTimeField(auto_now_add=True, db_default=models.functions.Now())
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "practice_sessions"
        constraints = [
            models.CheckConstraint(condition=Q(correct_count__lte=F("total_questions")), name="valid_counts"),
            models.CheckConstraint(condition=Q(xp_earned__gte=0), name="valid_xp"),
            models.CheckConstraint(
                condition=Q(current_position__gte=1, elapsed_seconds__gte=0), name="valid_block_position"
            ),
            choices_check("practice_sessions", "session_type", SessionType),
            choices_check("practice_sessions", "status", SessionStatus),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_sessions_user_id"),
            models.Index(
                fields=["status"],
                name="idx_sessions_status",
                condition=Q(status__in=[SessionStatus.ACTIVE, SessionStatus.PAUSED]),
            ),
            models.Index(F("started_at").desc(), name="idx_sessions_started_at"),
            models.Index(fields=["session_type"], name="idx_sessions_type"),
        ]


class PracticeSessionQuestion(UUIDModel):
    session = models.ForeignKey(PracticeSession, on_delete=models.CASCADE, related_name="items", db_index=False)
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="session_items", db_index=False
    )
    question_order = models.IntegerField()
    selected_index = models.IntegerField(null=True, blank=True)  # chosen, submitted or not
    confidence_rating = models.IntegerField(null=True, blank=True)
    is_marked = models.BooleanField(default=False, db_default=False)
    struck_options = models.JSONField(default=list, blank=True)  # option indexes struck out
    # The answer's time is the time the question was on screen: `viewed_seconds` from earlier
    # showings, plus the running one since `shown_at` (NULL while another question is shown,
    # or the block is paused). Previewing other questions does not count towards this one.
    shown_at = models.DateTimeField(null=True, blank=True)
    viewed_seconds = models.IntegerField(default=0, db_default=0)
    is_correct = models.BooleanField(null=True, blank=True)
    time_taken_seconds = models.IntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "practice_session_questions"
        ordering = ["question_order"]
        constraints = [
            # idx_session_questions_session_id is left out: unique_session_question starts with session_id.
            models.UniqueConstraint(fields=["session", "question"], name="unique_session_question"),
            models.CheckConstraint(condition=Q(question_order__gt=0), name="positive_question_order"),
            models.CheckConstraint(
                condition=Q(confidence_rating__gte=1, confidence_rating__lte=5),
                name="practice_session_questions_confidence_check",
            ),
            models.CheckConstraint(condition=Q(viewed_seconds__gte=0), name="valid_viewed_seconds"),
        ]
        indexes = [models.Index(fields=["question"], name="idx_session_questions_question_id")]
