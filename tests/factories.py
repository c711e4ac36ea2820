"""factory_boy factories. Every factory writes in the `system` context, whatever the test's
current context, so building rows for several users never trips row-level security."""

import datetime
import functools

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import EmailVerificationToken, PasswordResetToken, RefreshToken, User
from analytics.models import PerformanceMetric, RetentionAnalytic, StudySession
from coach.models import ChatConversation, ChatMessage, LearningPath, LearningPathMilestone
from gamification.models import Achievement, UserAchievement, UserStreak, XPTransaction
from materials.models import Material, MaterialChunk, MaterialPage, MaterialProcessingJob, MaterialTag
from medtext.vocabulary import organ_system
from practice.models import PracticeSession, PracticeSessionQuestion
from progress.models import MasteryLevel, SM2ReviewCard, UserProgress
from questions.models import Question, QuestionExplanation, QuestionFlag, QuestionOption, UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context

PASSWORD = "correct-horse-battery-staple"


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)  # Argon2 once per run, not once per user


class SystemFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with rls_context(role=ROLE_SYSTEM):
            return super()._create(model_class, *args, **kwargs)


class UserFactory(SystemFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"student{n}@example.com")
    name = factory.Faker("name")
    password = factory.LazyFunction(password_hash)
    is_verified = True


class MaterialFactory(SystemFactory):
    class Meta:
        model = Material

    user = factory.SubFactory(UserFactory)
    filename = factory.Sequence(lambda n: f"notes-{n}.pdf")
    file_path = factory.LazyAttribute(lambda o: f"materials/{o.filename}")
    file_size = 1024
    file_type = "application/pdf"
    title = factory.Sequence(lambda n: f"Cardiology notes {n}")
    topic = "Cardiology"


class MaterialChunkFactory(SystemFactory):
    class Meta:
        model = MaterialChunk

    material = factory.SubFactory(MaterialFactory)
    user = factory.SelfAttribute("material.user")
    content = "Beta blockers reduce mortality after myocardial infarction."
    page_number = 1
    chunk_index = factory.Sequence(int)
    char_start = 0
    char_end = 60


class MaterialPageFactory(SystemFactory):
    class Meta:
        model = MaterialPage

    material = factory.SubFactory(MaterialFactory)
    page_number = factory.Sequence(lambda n: n + 1)
    text = "Beta blockers reduce mortality after myocardial infarction. They lower myocardial oxygen demand."


class MaterialProcessingJobFactory(SystemFactory):
    class Meta:
        model = MaterialProcessingJob

    material = factory.SubFactory(MaterialFactory)
    job_type = "parse"


class MaterialTagFactory(SystemFactory):
    class Meta:
        model = MaterialTag

    material = factory.SubFactory(MaterialFactory)
    tag = factory.Sequence(lambda n: f"tag-{n}")
    category = "topic"


class QuestionFactory(SystemFactory):
    class Meta:
        model = Question

    material = None
    vignette = factory.Sequence(
        lambda n: f"A 58-year-old man (case {n}) has crushing chest pain for 2 hours. Which drug lowers mortality?"
    )
    options = ["Aspirin", "Nitroglycerin", "Morphine", "Oxygen", "Furosemide"]
    correct_index = 0
    explanation = "Aspirin lowers mortality in acute coronary syndrome."
    topic = "Cardiology"
    organ_system = factory.LazyAttribute(
        lambda q: organ_system(q.options[q.correct_index] if 0 <= q.correct_index < len(q.options) else "", q.vignette)
    )
    difficulty = "medium"
    quality_score = 0.8


class QuestionOptionFactory(SystemFactory):
    class Meta:
        model = QuestionOption

    question = factory.SubFactory(QuestionFactory)
    option_index = factory.Sequence(int)
    option_text = "Aspirin"


class QuestionExplanationFactory(SystemFactory):
    class Meta:
        model = QuestionExplanation

    question = factory.SubFactory(QuestionFactory)
    correct_explanation = "Aspirin inhibits platelet COX-1."


class QuestionFlagFactory(SystemFactory):
    class Meta:
        model = QuestionFlag

    question = factory.SubFactory(QuestionFactory, is_verified=True)
    user = factory.SubFactory(UserFactory)
    reason = "unclear"


class AttemptFactory(SystemFactory):
    class Meta:
        model = UserQuestionAttempt

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    selected_index = 0
    is_correct = True
    time_taken_seconds = 42
    attempt_type = "practice"


class PracticeSessionFactory(SystemFactory):
    class Meta:
        model = PracticeSession

    user = factory.SubFactory(UserFactory)
    session_type = "tutor"


class PracticeSessionQuestionFactory(SystemFactory):
    class Meta:
        model = PracticeSessionQuestion

    session = factory.SubFactory(PracticeSessionFactory)
    question = factory.SubFactory(QuestionFactory)
    question_order = factory.Sequence(lambda n: n + 1)


class ConversationFactory(SystemFactory):
    class Meta:
        model = ChatConversation

    user = factory.SubFactory(UserFactory)
    conversation_type = "teaching"
    title = "Heart failure"


class MessageFactory(SystemFactory):
    class Meta:
        model = ChatMessage

    conversation = factory.SubFactory(ConversationFactory)
    role = "user"
    content = "What does BNP tell me?"


class LearningPathFactory(SystemFactory):
    class Meta:
        model = LearningPath

    user = factory.SubFactory(UserFactory)
    name = "Cardiology in four weeks"
    topic_tree = {"nodes": ["Cardiology"], "edges": []}


class MilestoneFactory(SystemFactory):
    class Meta:
        model = LearningPathMilestone

    learning_path = factory.SubFactory(LearningPathFactory)
    topic = factory.Sequence(lambda n: f"Topic {n}")
    milestone_order = factory.Sequence(lambda n: n + 1)


class UserProgressFactory(SystemFactory):
    class Meta:
        model = UserProgress

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    total_attempts = 4
    correct_attempts = 3


class MasteryLevelFactory(SystemFactory):
    class Meta:
        model = MasteryLevel

    user = factory.SubFactory(UserFactory)
    topic = factory.Sequence(lambda n: f"Topic {n}")
    questions_answered = 10
    questions_correct = 7


class ReviewCardFactory(SystemFactory):
    class Meta:
        model = SM2ReviewCard

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    next_review_date = factory.LazyFunction(lambda: timezone.localdate())


class AchievementFactory(SystemFactory):
    class Meta:
        model = Achievement
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_achievement_{n}")
    name = "Test achievement"
    description = "For tests"
    category = "milestone"
    unlock_conditions = {"questions_answered": 1}


class UserAchievementFactory(SystemFactory):
    class Meta:
        model = UserAchievement

    user = factory.SubFactory(UserFactory)
    achievement = factory.SubFactory(AchievementFactory)


class XPTransactionFactory(SystemFactory):
    class Meta:
        model = XPTransaction

    user = factory.SubFactory(UserFactory)
    amount = 10
    source = "question_answered"


class UserStreakFactory(SystemFactory):
    class Meta:
        model = UserStreak

    user = factory.SubFactory(UserFactory)
    streak_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))


class _TokenFactory(SystemFactory):
    class Meta:
        abstract = True

    user = factory.SubFactory(UserFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=1))


class EmailVerificationTokenFactory(_TokenFactory):
    class Meta:
        model = EmailVerificationToken


class PasswordResetTokenFactory(_TokenFactory):
    class Meta:
        model = PasswordResetToken


class RefreshTokenFactory(_TokenFactory):
    class Meta:
        model = RefreshToken


class StudySessionFactory(SystemFactory):
    class Meta:
        model = StudySession

    user = factory.SubFactory(UserFactory)
    session_type = "tutor"
    duration_seconds = 1200
    activity_data = {"questions": 12}
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=20))
    ended_at = factory.LazyFunction(timezone.now)


class PerformanceMetricFactory(SystemFactory):
    class Meta:
        model = PerformanceMetric

    user = factory.SubFactory(UserFactory)
    metric_date = factory.LazyFunction(timezone.localdate)
    topic = "Cardiology"
    detailed_metrics = {"by_difficulty": {"easy": 3}}


class RetentionAnalyticFactory(SystemFactory):
    class Meta:
        model = RetentionAnalytic

    user = factory.SubFactory(UserFactory)
    retention_date = factory.LazyFunction(timezone.localdate)
    topic_breakdown = {"Cardiology": 0.8}
