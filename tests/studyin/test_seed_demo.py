import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from analytics.models import StudySession
from materials.models import Material, MaterialProcessingJob
from practice.models import PracticeSession, PracticeSessionQuestion
from questions.models import Question, QuestionExplanation, QuestionOption, UserQuestionAttempt
from tests import factories

pytestmark = pytest.mark.django_db

MODELS = (
    User,
    Material,
    MaterialProcessingJob,
    Question,
    QuestionOption,
    QuestionExplanation,
    UserQuestionAttempt,
    PracticeSession,
    PracticeSessionQuestion,
    StudySession,
)


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded():
    return _seed(users=3, questions=40)


def test_it_creates_the_named_accounts_and_the_students(seeded):
    demo = User.objects.get(email="demo@studyin.app")
    staff = User.objects.get(email="staff@studyin.app")
    assert demo.check_password("studyin-demo") and demo.is_verified and not demo.is_staff
    assert staff.check_password("studyin-staff") and staff.is_staff and staff.is_superuser
    assert User.objects.filter(email__startswith="student", is_verified=True).count() == 3
    assert Material.objects.filter(processing_status="completed").count() == Material.objects.count() > 0
    assert "demo data: 5 users" in seeded


def test_options_json_and_option_rows_agree(seeded):
    assert Question.objects.count() == 40
    for question in Question.objects.prefetch_related("option_rows", "explanations"):
        rows = list(question.option_rows.all())
        assert [row.option_index for row in rows] == list(range(5))
        assert [row.option_text for row in rows] == question.options
        assert all(row.rationale for row in rows)
        (explanation,) = question.explanations.all()
        wrong = {str(k) for k in range(5) if k != question.correct_index}
        assert set(explanation.incorrect_explanations) == wrong
        assert explanation.correct_explanation and explanation.references


def test_question_counters_match_the_attempts(seeded):
    questions = Question.objects.annotate(
        n=Count("attempts"), correct=Count("attempts", filter=Q(attempts__is_correct=True))
    )
    assert UserQuestionAttempt.objects.count() > 0
    for question in questions:
        assert (question.times_answered, question.times_correct) == (question.n, question.correct)


def test_attempts_fall_in_the_last_60_days(seeded):
    now = timezone.now()
    oldest = UserQuestionAttempt.objects.earliest("answered_at").answered_at
    newest = UserQuestionAttempt.objects.latest("answered_at").answered_at
    assert now - datetime.timedelta(days=61) < oldest and newest <= now


def test_practice_sessions_add_up_their_questions_and_attempts(seeded):
    sessions = PracticeSession.objects.annotate(
        n_items=Count("items"), n_correct=Count("items", filter=Q(items__is_correct=True))
    )
    assert sessions.exists()
    for session in sessions:
        assert session.status == "completed"
        assert (session.total_questions, session.correct_count) == (session.n_items, session.n_correct)
        assert UserQuestionAttempt.objects.filter(session_id=session.id).count() == session.total_questions


def test_study_sessions_mirror_this_months_practice_sessions(seeded):
    month_start = timezone.now().astimezone(datetime.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = PracticeSession.objects.filter(completed_at__gte=month_start).count()
    assert StudySession.objects.count() == this_month
    assert not StudySession.objects.filter(created_at__lt=month_start).exists()


def test_a_second_run_adds_nothing(seeded):
    before = _counts()
    counters = list(Question.objects.order_by("id").values_list("times_answered", "times_correct"))
    _seed(users=3, questions=40)
    assert _counts() == before
    assert list(Question.objects.order_by("id").values_list("times_answered", "times_correct")) == counters


def test_first_run_does_nothing_once_the_demo_user_exists():
    factories.UserFactory(email="demo@studyin.app")
    assert _seed(first_run=True).strip() == "demo data already present"
    assert not Question.objects.exists()


def test_first_run_seeds_the_defaults_on_an_empty_database():
    _seed(first_run=True)
    assert User.objects.count() == 22
    assert Question.objects.count() == 500


def test_dry_run_leaves_nothing_behind():
    output = _seed(users=2, questions=10, dry_run=True)
    assert "dry run, rolled back: demo data: 4 users" in output
    assert all(n == 0 for n in _counts().values())
