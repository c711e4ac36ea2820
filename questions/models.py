from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from studyin.models import UUIDModel, choices_check, created_at_field, owner_field


class Difficulty(models.TextChoices):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    NBME = "nbme", "NBME"


class OrganSystem(models.TextChoices):
    """The USMLE content outline's systems, keyed as the vocabulary names them (medtext)."""

    BEHAVIORAL = "behavioral", "Behavioral health"
    CARDIOVASCULAR = "cardiovascular", "Cardiovascular"
    ENDOCRINE = "endocrine", "Endocrine"
    GASTROINTESTINAL = "gastrointestinal", "Gastrointestinal"
    HEMATOLOGIC = "hematologic", "Blood & lymphoreticular"
    IMMUNE = "immune", "Immune"
    INTEGUMENTARY = "integumentary", "Skin & subcutaneous tissue"
    MULTISYSTEM = "multisystem", "Multisystem processes"
    MUSCULOSKELETAL = "musculoskeletal", "Musculoskeletal"
    NERVOUS = "nervous", "Nervous system & special senses"
    RENAL = "renal", "Renal & urinary"
    REPRODUCTIVE = "reproductive", "Reproductive"
    RESPIRATORY = "respiratory", "Respiratory"


def _option_count():
    return Func(F("options"), function="jsonb_array_length", output_field=models.IntegerField())


class Question(UUIDModel):
    # Answered questions outlive their material (their history stays), hence SET NULL.
    material = models.ForeignKey(
        "materials.Material",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        db_index=False,
    )

    vignette = models.TextField()
    options = models.JSONField()  # array of option strings
    correct_index = models.IntegerField()
    explanation = models.TextField()

    topic = models.CharField(max_length=255)
    subtopic = models.CharField(max_length=255, null=True, blank=True)
    # Set when the question is stored (medtext.vocabulary.organ_system); staff may correct it.
    organ_system = models.CharField(max_length=20, choices=OrganSystem.choices, null=True, blank=True)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices)
    quality_score = models.FloatField(default=0.0, db_default=0.0)

    is_verified = models.BooleanField(default=False, db_default=False)
    is_flagged = models.BooleanField(default=False, db_default=False)

    times_answered = models.IntegerField(default=0, db_default=0)
    times_correct = models.IntegerField(default=0, db_default=0)
    # answer_counts[i]: how many answers chose option i, for peer statistics. Attempts are
    # private (row-level security), so peers' choices are counted here, in the same UPDATE
    # that counts times_answered.
    answer_counts = ArrayField(
        models.IntegerField(), default=list, blank=True, db_default=Value([], ArrayField(models.IntegerField()))
    )

    # Item quality (questions/quality.py). The generator's score from the item checks stays in
    # generation_score; quality_score is it corrected by how students answer: facility
    # (times_correct / times_answered) and discrimination (the share right among the strongest
    # quarter of students less among the weakest), once enough students answered.
    # quality_reasons: what lowered it, in words, for staff.
    generation_score = models.FloatField(null=True, blank=True)
    discrimination = models.FloatField(null=True, blank=True)
    statistics_at = models.DateTimeField(null=True, blank=True)
    quality_reasons = models.JSONField(default=list, blank=True)

    metadata = models.JSONField(default=dict, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "questions"
        constraints = [
            # The seed checks correct_index >= 0; it must also point at an existing option.
            models.CheckConstraint(
                condition=Q(correct_index__gte=0) & LessThan(F("correct_index"), _option_count()),
                name="valid_correct_index",
            ),
            models.CheckConstraint(condition=Q(times_correct__lte=F("times_answered")), name="valid_stats"),
            models.CheckConstraint(condition=GreaterThanOrEqual(_option_count(), 2), name="valid_options"),
            models.CheckConstraint(
                condition=Q(quality_score__gte=0, quality_score__lte=1), name="questions_quality_score_check"
            ),
            models.CheckConstraint(
                condition=Q(discrimination__isnull=True) | Q(discrimination__gte=-1, discrimination__lte=1),
                name="valid_discrimination",
            ),
            choices_check("questions", "difficulty", Difficulty),
            models.CheckConstraint(
                condition=Q(organ_system__isnull=True) | Q(organ_system__in=OrganSystem.values),
                name="questions_organ_system_valid",
            ),
        ]
        # idx_questions_topic is left out: idx_questions_topic_difficulty starts with topic.
        # idx_questions_vignette_search (full text) is in migration 0002.
        indexes = [
            models.Index(fields=["material"], name="idx_questions_material_id", condition=Q(material__isnull=False)),
            models.Index(fields=["difficulty"], name="idx_questions_difficulty"),
            models.Index(fields=["is_verified"], name="idx_questions_verified", condition=Q(is_verified=True)),
            models.Index(fields=["is_flagged"], name="idx_questions_flagged", condition=Q(is_flagged=True)),
            models.Index(F("quality_score").desc(), name="idx_questions_quality", condition=Q(quality_score__gt=0.7)),
            models.Index(fields=["topic", "difficulty"], name="idx_questions_topic_difficulty"),
        ]

    def __str__(self) -> str:
        return self.vignette[:80]


def option_letter(index: int) -> str:
    """A, B, C… as the student sees options (indexes are zero-based)."""
    return chr(ord("A") + index)


class QuestionOption(UUIDModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="option_rows", db_index=False)
    option_index = models.IntegerField()
    option_text = models.TextField()
    rationale = models.TextField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "question_options"
        ordering = ["option_index"]
        constraints = [
            # idx_options_question_id is left out: unique_question_option starts with question_id.
            models.UniqueConstraint(fields=["question", "option_index"], name="unique_question_option"),
            models.CheckConstraint(condition=Q(option_index__gte=0), name="positive_option_index"),
        ]

    def __str__(self) -> str:
        return f"{option_letter(self.option_index)}. {self.option_text}"


class QuestionExplanation(UUIDModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="explanations", db_index=False)
    correct_explanation = models.TextField()
    incorrect_explanations = models.JSONField(default=dict, blank=True)  # keyed by option index
    pathophysiology = models.TextField(null=True, blank=True)
    clinical_relevance = models.TextField(null=True, blank=True)
    references = models.JSONField(default=list, blank=True)  # a reserved word in SQL: quote it in raw SQL
    created_at = created_at_field()

    class Meta:
        db_table = "question_explanations"
        constraints = [
            # idx_explanations_question_id is left out: unique_question_explanation covers it.
            models.UniqueConstraint(fields=["question"], name="unique_question_explanation"),
        ]

    def __str__(self) -> str:
        return "Explanation"


class AttemptType(models.TextChoices):
    PRACTICE = "practice"
    REVIEW = "review"
    TEST = "test"


class UserQuestionAttempt(UUIDModel):
    user = owner_field("question_attempts")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attempts", db_index=False)

    selected_index = models.IntegerField()
    is_correct = models.BooleanField()
    confidence_rating = models.IntegerField(null=True, blank=True)
    time_taken_seconds = models.IntegerField()

    attempt_type = models.CharField(max_length=10, choices=AttemptType.choices)
    session_id = models.UUIDField(null=True, blank=True)  # a practice_sessions or study_sessions id

    answered_at = models.DateTimeField(auto_now_add=True, db_default=models.functions.Now())

    class Meta:
        db_table = "user_question_attempts"
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence_rating__gte=1, confidence_rating__lte=5),
                name="user_question_attempts_confidence_rating_check",
            ),
            models.CheckConstraint(
                condition=Q(time_taken_seconds__gte=0), name="user_question_attempts_time_taken_seconds_check"
            ),
            choices_check("user_question_attempts", "attempt_type", AttemptType),
        ]
        # idx_attempts_user_id is left out: idx_attempts_user_question starts with user_id.
        indexes = [
            models.Index(fields=["question"], name="idx_attempts_question_id"),
            models.Index(fields=["session_id"], name="idx_attempts_session_id", condition=Q(session_id__isnull=False)),
            models.Index(F("answered_at").desc(), name="idx_attempts_answered_at"),
            models.Index("user", "question", F("answered_at").desc(), name="idx_attempts_user_question"),
        ]


class FlagReason(models.TextChoices):
    INCORRECT_ANSWER = "incorrect_answer", "The keyed answer is wrong"
    UNCLEAR = "unclear", "The question is unclear or ambiguous"
    OUTDATED = "outdated", "It is out of date"
    TYPO = "typo", "Typo or formatting problem"
    NOT_FROM_MATERIAL = "not_from_material", "It is not supported by the material"
    OTHER = "other", "Something else"


class FlagStatus(models.TextChoices):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class QuestionFlag(UUIDModel):
    """A student's report of a problem with a question; open flags put it in the staff queue."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="flags", db_index=False)
    user = owner_field("question_flags")
    reason = models.CharField(max_length=30, choices=FlagReason.choices)
    comment = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN, db_default=FlagStatus.OPEN
    )
    created_at = created_at_field()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        db_table = "question_flags"
        constraints = [
            models.UniqueConstraint(
                fields=["question", "user"], condition=Q(status="open"), name="unique_open_flag_per_user"
            ),
            choices_check("question_flags", "reason", FlagReason),
            choices_check("question_flags", "status", FlagStatus),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_question_flags_user_id"),
            models.Index(fields=["created_at"], name="idx_question_flags_open", condition=Q(status="open")),
        ]


class ModerationAction(models.TextChoices):
    VERIFY = "verify"
    UNVERIFY = "unverify"
    FLAG = "flag"
    UNFLAG = "unflag"
    CHANGE_TOPIC = "change_topic"
    CHANGE_DIFFICULTY = "change_difficulty"
    EDIT = "edit"


class QuestionModerationEvent(UUIDModel):
    """Who did what to a question, when: the moderation history shown on the question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="moderation_events", db_index=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    action = models.CharField(max_length=20, choices=ModerationAction.choices)
    details = models.JSONField(default=dict, blank=True)  # e.g. {"topic": ["Cardiology", "Pulmonology"]}
    created_at = created_at_field()

    class Meta:
        db_table = "question_moderation_events"
        ordering = ["-created_at"]
        constraints = [choices_check("question_moderation_events", "action", ModerationAction)]
        indexes = [models.Index("question", F("created_at").desc(), name="idx_moderation_question_created")]
