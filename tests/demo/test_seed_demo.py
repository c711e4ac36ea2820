import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from analytics.models import StudySession
from demo.facts import FACTS
from demo.management.commands.seed_demo import HISTORY_DAYS, STREAK_DAYS, _demo_ids, demo_id
from gamification.models import UserAchievement, XPTransaction
from gamification.selectors import streak_now
from materials.models import Material, MaterialProcessingJob
from materials.selectors import passages_search
from practice.management.commands.recompute_progress import Command
from practice.models import PracticeSession, PracticeSessionQuestion
from practice.selectors import SECONDS_PER_QUESTION
from progress.models import MasteryLevel, SM2ReviewCard, UserProgress
from progress.selectors import due_count
from progress.services import proficiency_for
from questions.models import Question, QuestionExplanation, QuestionFlag, QuestionOption, UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context, rls_set
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo student's notes are real uploaded files


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
    UserProgress,
    MasteryLevel,
)


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _derived() -> dict[str, list]:
    """Everything a run computes from the attempts, to compare two runs."""
    return {
        "questions": list(
            Question.objects.order_by("id").values_list("id", "times_answered", "times_correct", "answer_counts")
        ),
        "progress": list(
            UserProgress.objects.order_by("id").values_list(
                "id", "total_attempts", "correct_attempts", "avg_confidence", "avg_time_seconds", "last_attempt_at"
            )
        ),
        "mastery": list(
            MasteryLevel.objects.order_by("id").values_list(
                "id", "questions_answered", "questions_correct", "proficiency_level"
            )
        ),
    }


def _assert_derived_rows_agree_with_the_attempts() -> None:
    attempts = list(UserQuestionAttempt.objects.values("user_id", "question_id", "question__topic", "selected_index",
                                                       "is_correct", "confidence_rating", "time_taken_seconds"))  # fmt: skip
    assert attempts
    for question in Question.objects.all():
        mine = [a for a in attempts if a["question_id"] == question.pk]
        chosen = Counter(a["selected_index"] for a in mine)
        assert (question.times_answered, question.times_correct) == (len(mine), sum(a["is_correct"] for a in mine))
        assert question.answer_counts == [chosen[i] for i in range(len(question.options))]

    pairs = Counter((a["user_id"], a["question_id"]) for a in attempts)
    progress = {(p.user_id, p.question_id): p for p in UserProgress.objects.all()}
    assert progress.keys() == pairs.keys()
    for key, row in progress.items():
        mine = [a for a in attempts if (a["user_id"], a["question_id"]) == key]
        assert (row.total_attempts, row.correct_attempts) == (len(mine), sum(a["is_correct"] for a in mine))
        assert row.avg_confidence == pytest.approx(sum(a["confidence_rating"] for a in mine) / len(mine))
        assert row.avg_time_seconds == pytest.approx(sum(a["time_taken_seconds"] for a in mine) / len(mine))

    topics = Counter((a["user_id"], a["question__topic"]) for a in attempts)
    correct = Counter((a["user_id"], a["question__topic"]) for a in attempts if a["is_correct"])
    mastery = {(m.user_id, m.topic): m for m in MasteryLevel.objects.all()}
    assert mastery.keys() == topics.keys()
    for key, row in mastery.items():
        assert (row.questions_answered, row.questions_correct) == (topics[key], correct[key])
        assert row.proficiency_level == proficiency_for(answered=topics[key], correct=correct[key])


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
    bank = Question.objects.filter(material__isnull=True)
    assert bank.count() == 40 and not bank.filter(is_verified=False).exists()
    for question in bank.prefetch_related("option_rows", "explanations"):
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


def test_answer_counts_progress_and_mastery_agree_with_the_attempts(seeded):
    _assert_derived_rows_agree_with_the_attempts()


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


def test_block_items_record_their_answer_like_the_answer_path(seeded):
    attempts = {(a.session_id, a.question_id): a for a in UserQuestionAttempt.objects.filter(session_id__isnull=False)}
    items = list(PracticeSessionQuestion.objects.select_related("session", "question"))
    assert len(items) == len(attempts) > 0
    for item in items:
        attempt = attempts[item.session_id, item.question_id]
        assert (item.selected_index, item.confidence_rating, item.is_correct, item.time_taken_seconds) == (
            attempt.selected_index, attempt.confidence_rating, attempt.is_correct, attempt.time_taken_seconds,
        )  # fmt: skip
        assert item.answered_at == attempt.answered_at
        assert item.shown_at == item.answered_at - datetime.timedelta(seconds=item.time_taken_seconds)
        assert all(isinstance(i, int) for i in item.struck_options)
        assert not {item.selected_index, item.question.correct_index} & set(item.struck_options)
    for session in PracticeSession.objects.all():
        assert session.current_position == session.total_questions
        assert session.elapsed_seconds == session.total_time_seconds > 0 and session.resumed_at is None
        assert session.settings["size"] == session.total_questions
        if session.session_type in ("timed", "test"):
            assert session.time_limit_seconds == SECONDS_PER_QUESTION * session.total_questions
            assert session.total_time_seconds <= session.time_limit_seconds
        else:
            assert session.time_limit_seconds is None


def test_study_sessions_mirror_every_practice_session(seeded):
    sessions = dict(PracticeSession.objects.values_list("id", "total_questions"))
    mirrored = {s.activity_data["practice_session_id"]: s for s in StudySession.objects.all()}
    assert set(mirrored) == {str(pk) for pk in sessions}
    assert all(mirrored[str(pk)].questions_answered == n for pk, n in sessions.items())
    oldest = PracticeSession.objects.earliest("started_at").started_at
    assert timezone.now() - oldest > datetime.timedelta(days=45)  # months before this one have partitions


def test_the_demo_students_notes_went_through_the_real_pipeline(seeded):
    demo = User.objects.get(email="demo@studyin.app")
    materials = Material.objects.filter(user=demo)
    assert materials.count() == 10
    assert not Material.objects.exclude(user=demo).exists()  # the other students practise the bank
    for material in materials:
        assert material.processing_status == "completed" and material.chunk_count > 0
        assert material.pages.exists() and default_storage.exists(material.file_path)
        assert material.chunks.filter(embedding__isnull=False).count() == material.chunk_count
        assert material.material_tags.filter(is_auto_generated=True).exists()
        assert material.question_count == Question.objects.filter(material=material).count()
        assert timezone.now() - material.created_at > datetime.timedelta(days=HISTORY_DAYS)
    assert {m.filename.rsplit(".", 1)[1] for m in materials} == {"docx", "md", "txt"}
    rls_set(user_id=demo.pk)
    hits = passages_search(user=demo, query="treatment of diabetic ketoacidosis")
    assert hits and "ketoacidosis" in hits[0].chunk.content


def test_every_block_holds_questions_its_student_may_see_and_no_fact_twice(seeded):
    for session in PracticeSession.objects.select_related("user"):
        questions = [item.question for item in session.items.select_related("question")]
        assert len(questions) == session.total_questions
        with rls_context(user_id=session.user_id):  # exactly what the student's pages see
            visible = set(Question.objects.filter(pk__in=[q.pk for q in questions]).values_list("pk", flat=True))
        assert visible == {q.pk for q in questions}, "a block question its student cannot open"
        facts = [q.metadata["fact"] for q in questions if q.material_id is None]
        assert len(facts) == len(set(facts)), "two variants of one fact in a block"


def test_the_demo_student_has_history_and_students_flagged_the_bank(seeded):
    demo = User.objects.get(email="demo@studyin.app")
    last = UserQuestionAttempt.objects.filter(user=demo).latest("answered_at").answered_at
    assert demo.last_study_date == last
    flags = QuestionFlag.objects.filter(status="open")
    assert flags.count() == 2 and all(f.question.is_flagged and f.comment for f in flags)


def test_a_second_run_adds_nothing(seeded):
    before, derived = _counts(), _derived()
    _seed(users=3, questions=40)
    assert _counts() == before
    assert _derived() == derived


def test_attempts_option_reaches_the_total_and_more_only_adds_blocks():
    _seed(users=3, questions=40, attempts=1500)
    n = UserQuestionAttempt.objects.count()
    assert 1500 <= n < 1500 + 4 * 40  # each of the 4 students may overshoot by less than a block
    before, derived = _counts(), _derived()
    first = dict(UserQuestionAttempt.objects.values_list("id", "answered_at"))

    _seed(users=3, questions=40, attempts=1500)
    assert (_counts(), _derived()) == (before, derived)

    _seed(users=3, questions=40, attempts=2500)
    assert UserQuestionAttempt.objects.count() >= 2500
    # The rows already there stay as they were; the counters take in the new blocks.
    assert {k: v for k, v in UserQuestionAttempt.objects.values_list("id", "answered_at") if k in first} == first
    _assert_derived_rows_agree_with_the_attempts()


def test_many_ids_hash_their_prefix_once_and_match_demo_id():
    assert _demo_ids("attempt", "demo@studyin.app", 3)(17) == demo_id("attempt", "demo@studyin.app", 3, 17)


def test_first_run_does_nothing_once_the_demo_user_exists():
    factories.UserFactory(email="demo@studyin.app")
    assert _seed(first_run=True).strip() == "demo data already present"
    assert not Question.objects.exists()


def test_first_run_seeds_the_defaults_on_an_empty_database():
    _seed(first_run=True)
    assert User.objects.count() == 22
    assert Question.objects.filter(material__isnull=True).count() == len(FACTS)


def test_dry_run_leaves_nothing_behind():
    output = _seed(users=2, questions=10, dry_run=True)
    assert "dry run, rolled back: demo data: 4 users" in output
    assert all(n == 0 for n in _counts().values())
    assert default_storage.listdir("")[1] == [] and not _files_under(default_storage.location)


def _files_under(root) -> list:
    import os

    return [name for _, _, names in os.walk(root) for name in names]


def test_the_demo_student_has_reviews_due_xp_a_streak_and_achievements_consistent_with_the_attempts(seeded):
    with rls_context(role=ROLE_SYSTEM):
        demo = User.objects.get(email="demo@studyin.app")
        answered = UserQuestionAttempt.objects.filter(user=demo).values("question_id").distinct().count()
        assert SM2ReviewCard.objects.filter(user=demo).count() == answered
        assert due_count(user=demo) > 0
        assert demo.xp == sum(XPTransaction.objects.filter(user=demo).values_list("amount", flat=True)) > 0
        assert UserAchievement.objects.filter(user=demo, is_completed=True).exists()
        assert streak_now(demo) >= STREAK_DAYS  # the dashboard opens on a live streak
        before = (demo.xp, demo.level, demo.current_streak, demo.max_streak)
    Command().recompute(email=demo.email)  # the seed used the same definitions: nothing changes
    with rls_context(role=ROLE_SYSTEM):
        demo.refresh_from_db()
        assert (demo.xp, demo.level, demo.current_streak, demo.max_streak) == before
