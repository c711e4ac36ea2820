from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Now

from studyin.models import UUIDModel, choices_check, created_at_field, owner_field


def _ratio(part: str, whole: str, scale: float = 1.0):
    """`part / whole` as float (times scale), 0 when whole is 0: the seed's generated columns."""
    return Case(
        When(
            **{f"{whole}__gt": 0},
            then=Cast(part, models.FloatField()) / Cast(whole, models.FloatField()) * Value(scale),
        ),
        default=Value(0.0),
        output_field=models.FloatField(),
    )


class UserProgress(UUIDModel):
    user = owner_field("question_progress")
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="progress", db_index=False
    )
    total_attempts = models.IntegerField(default=0, db_default=0)
    correct_attempts = models.IntegerField(default=0, db_default=0)
    accuracy_rate = models.GeneratedField(
        expression=_ratio("correct_attempts", "total_attempts"), output_field=models.FloatField(), db_persist=True
    )
    avg_confidence = models.FloatField(null=True, blank=True)
    avg_time_seconds = models.FloatField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "user_progress"
        verbose_name_plural = "user progress"
        constraints = [
            # idx_progress_user_id is left out: unique_user_question_progress starts with user_id.
            models.UniqueConstraint(fields=["user", "question"], name="unique_user_question_progress"),
            models.CheckConstraint(condition=Q(correct_attempts__lte=F("total_attempts")), name="valid_attempts"),
        ]
        indexes = [
            models.Index(fields=["question"], name="idx_progress_question_id"),
            models.Index(F("last_attempt_at").desc(nulls_last=True), name="idx_progress_last_attempt"),
            models.Index(F("accuracy_rate").desc(), name="idx_progress_accuracy", condition=Q(total_attempts__gte=3)),
        ]


class ProficiencyLevel(models.TextChoices):
    NOVICE = "novice"
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    EXPERT = "expert"


class MasteryLevel(UUIDModel):
    user = owner_field("mastery_levels")
    topic = models.CharField(max_length=255)
    questions_answered = models.IntegerField(default=0, db_default=0)
    questions_correct = models.IntegerField(default=0, db_default=0)
    mastery_percentage = models.GeneratedField(
        expression=_ratio("questions_correct", "questions_answered", 100.0),
        output_field=models.FloatField(),
        db_persist=True,
    )
    proficiency_level = models.CharField(
        max_length=20,
        choices=ProficiencyLevel.choices,
        default=ProficiencyLevel.NOVICE,
        db_default=ProficiencyLevel.NOVICE,
    )
    last_updated = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "mastery_levels"
        constraints = [
            # idx_mastery_user_id and idx_mastery_user_topic are left out: unique_user_topic_mastery
            # is the same index.
            models.UniqueConstraint(fields=["user", "topic"], name="unique_user_topic_mastery"),
            models.CheckConstraint(
                condition=Q(questions_correct__lte=F("questions_answered")), name="valid_mastery_counts"
            ),
            choices_check("mastery_levels", "proficiency_level", ProficiencyLevel),
        ]
        indexes = [
            models.Index(fields=["topic"], name="idx_mastery_topic"),
            models.Index(F("mastery_percentage").desc(), name="idx_mastery_percentage"),
        ]


class CardState(models.IntegerChoices):
    """FSRS's states (fsrs.State); SM-2 cards are "review" once answered."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class SM2ReviewCard(UUIDModel):
    """A question scheduled for spaced repetition, by the student's scheduler (progress/scheduling.py).

    The seed's columns hold SM-2's state (repetitions, easiness factor, interval, next review
    date); the added ones FSRS's (state, step, stability, difficulty) and what both share: `due`
    (the time the card is due; the due queue reads it), `lapses` (answers forgotten after the card
    was learnt) and `is_suspended` (a leech: LEECH_LAPSES lapses). The review history is the
    attempts table. Whether a card is due is derived at query time: the seed's generated `is_due`
    is not immutable, so PostgreSQL rejects it."""

    user = owner_field("review_cards")
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="review_cards", db_index=False
    )
    repetition_count = models.IntegerField(default=0, db_default=0)
    easiness_factor = models.FloatField(default=2.5, db_default=2.5)
    interval_days = models.IntegerField(default=1, db_default=1)
    next_review_date = models.DateField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    state = models.SmallIntegerField(choices=CardState.choices, default=CardState.LEARNING, db_default=1)
    step = models.SmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(db_default=Now())
    lapses = models.IntegerField(default=0, db_default=0)
    is_suspended = models.BooleanField(default=False, db_default=False)
    created_at = created_at_field()
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "sm2_review_cards"
        verbose_name = "review card"
        constraints = [
            # idx_sm2_user_id is left out: unique_user_question_card starts with user_id.
            models.UniqueConstraint(fields=["user", "question"], name="unique_user_question_card"),
            models.CheckConstraint(condition=Q(easiness_factor__gte=1.3), name="valid_easiness_factor"),
            models.CheckConstraint(condition=Q(interval_days__gt=0), name="positive_interval"),
            models.CheckConstraint(condition=Q(state__in=CardState.values), name="sm2_review_cards_state_valid"),
            models.CheckConstraint(condition=Q(lapses__gte=0), name="non_negative_lapses"),
        ]
        # idx_sm2_next_review and idx_sm2_is_due (CURRENT_DATE in an index) are replaced by one
        # index that answers "this user's cards due by time T", suspended cards left out.
        indexes = [
            models.Index(fields=["question"], name="idx_sm2_question_id"),
            models.Index(fields=["user", "due"], name="idx_sm2_user_due", condition=Q(is_suspended=False)),
        ]
