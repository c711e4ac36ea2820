import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from practice import services
from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus
from practice.selectors import BlockFilters, block_candidates
from progress.models import MasteryLevel, UserProgress
from progress.services import proficiency_for
from questions.models import Question, UserQuestionAttempt
from questions.selectors import own_answer_counts, peer_stats
from studyin.cache import user_due_reviews_key, user_stats_key
from studyin.rls import rls_set
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(student):
    """Five verified cardiology questions, two of the student's own unverified renal ones,
    and a peer's unverified one (invisible to the student)."""
    verified = [factories.QuestionFactory(is_verified=True, topic="Cardiology") for _ in range(5)]
    own = [factories.QuestionFactory(material=factories.MaterialFactory(user=student), topic="Renal") for _ in range(2)]
    hidden = factories.QuestionFactory(material=factories.MaterialFactory(), topic="Renal")
    return verified, own, hidden


def _block(student, **filters) -> PracticeSession:
    return services.block_start(user=student, filters=BlockFilters(**filters))


def test_a_block_draws_only_from_the_students_visible_questions(student, bank):
    verified, own, hidden = bank
    session = _block(student, size=40)
    ids = set(session.items.values_list("question_id", flat=True))
    assert ids == {q.pk for q in verified + own}
    assert session.total_questions == 7 and session.time_limit_seconds is None
    assert list(session.items.values_list("question_order", flat=True).order_by("question_order")) == list(range(1, 8))


def test_row_level_security_agrees_with_the_visibility_rule(student, bank):
    verified, own, hidden = bank
    rls_set(user_id=student.pk)
    assert set(Question.objects.values_list("pk", flat=True)) == {q.pk for q in verified + own}


def test_filters_and_pools(student, bank):
    verified, own, _ = bank
    assert block_candidates(user=student, filters=BlockFilters(topics=("Renal",))).count() == 2
    assert block_candidates(user=student, filters=BlockFilters(pool="unused")).count() == 7
    factories.AttemptFactory(user=student, question=verified[0], is_correct=False, selected_index=1)
    factories.AttemptFactory(user=student, question=verified[1], is_correct=True)
    assert block_candidates(user=student, filters=BlockFilters(pool="unused")).count() == 5
    assert list(block_candidates(user=student, filters=BlockFilters(pool="incorrect"))) == [verified[0]]


def test_an_empty_block_is_refused_with_a_message(student, bank):
    with pytest.raises(services.BlockEmpty, match="No questions match"):
        _block(student, topics=("Dermatology",))
    assert not PracticeSession.objects.exists()


def test_timed_and_test_blocks_get_90_seconds_per_question(student, bank):
    assert _block(student, mode="timed", size=3).time_limit_seconds == 270
    assert _block(student, mode="test", size=2).time_limit_seconds == 180


def test_an_answer_updates_everything_once_even_when_submitted_twice(student, bank):
    session = _block(student, size=1, topics=("Renal",))
    item = session.items.get()
    services.session_navigate(session=session, position=1)

    first = services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=2, confidence=4)
    again = services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0, confidence=1)

    assert (first.recorded, first.is_correct, again.recorded, again.is_correct) == (True, False, False, None)
    attempt = UserQuestionAttempt.objects.get(user=student)
    assert (attempt.selected_index, attempt.is_correct, attempt.confidence_rating) == (2, False, 4)
    assert attempt.session_id == session.pk and attempt.attempt_type == "practice"
    item.refresh_from_db()
    assert (item.selected_index, item.is_correct, item.answered_at is not None) == (2, False, True)
    question = Question.objects.get(pk=item.question_id)
    assert (question.times_answered, question.times_correct, question.answer_counts) == (1, 0, [0, 0, 1])
    progress = UserProgress.objects.get(user=student, question=question)
    assert (progress.total_attempts, progress.correct_attempts, progress.avg_confidence) == (1, 0, 4.0)
    mastery = MasteryLevel.objects.get(user=student, topic="Renal")
    assert (mastery.questions_answered, mastery.questions_correct, mastery.proficiency_level) == (1, 0, "novice")
    assert PracticeSession.objects.get(pk=session.pk).correct_count == 0


def test_progress_and_mastery_accumulate_across_blocks(student, bank):
    verified, _, _ = bank
    for correct in (True, True, False):
        session = services.block_start_from_questions(user=student, question_ids=[verified[0].pk])
        services.answer_submit(
            user=student, session_id=session.pk, position=1, selected_index=0 if correct else 3, confidence=3,
            time_taken_seconds=30,
        )  # fmt: skip
    progress = UserProgress.objects.get(user=student, question=verified[0])
    assert (progress.total_attempts, progress.correct_attempts) == (3, 2)
    assert progress.accuracy_rate == pytest.approx(2 / 3)
    assert progress.avg_time_seconds == pytest.approx(30)
    mastery = MasteryLevel.objects.get(user=student, topic="Cardiology")
    assert (mastery.questions_answered, mastery.questions_correct) == (3, 2)
    assert mastery.mastery_percentage == pytest.approx(200 / 3)
    question = Question.objects.get(pk=verified[0].pk)
    assert (question.times_answered, question.times_correct, question.answer_counts) == (3, 2, [2, 0, 0, 1])


def test_an_answer_and_the_end_of_a_block_clear_the_students_cached_stats(
    student, bank, django_capture_on_commit_callbacks
):
    keys = [user_stats_key(student.pk), user_due_reviews_key(student.pk)]
    session = _block(student, size=1, topics=("Renal",))
    cache.set_many(dict.fromkeys(keys, "stale"))
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0)
    assert cache.get_many(keys) == {}

    cache.set(keys[0], "stale")
    with django_capture_on_commit_callbacks(execute=True):
        services.session_finish(session=session)
    assert cache.get(keys[0]) is None


def test_proficiency_levels():
    assert proficiency_for(answered=9, correct=9) == "novice"
    assert proficiency_for(answered=10, correct=4) == "beginner"
    assert proficiency_for(answered=10, correct=6) == "intermediate"
    assert proficiency_for(answered=10, correct=8) == "advanced"
    assert proficiency_for(answered=10, correct=9) == "expert"


def test_sql_and_python_proficiency_agree(student, bank):
    verified, _, _ = bank
    for i in range(12):
        session = services.block_start_from_questions(user=student, question_ids=[verified[i % 5].pk])
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0 if i % 4 else 1)
    mastery = MasteryLevel.objects.get(user=student, topic="Cardiology")
    assert mastery.proficiency_level == proficiency_for(
        answered=mastery.questions_answered, correct=mastery.questions_correct
    )


def test_pause_stops_the_clock_and_resume_restarts_it(student, bank):
    session = _block(student, mode="timed", size=2)
    PracticeSession.objects.filter(pk=session.pk).update(resumed_at=timezone.now() - datetime.timedelta(seconds=50))
    session.refresh_from_db()
    assert services.session_pause(session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.PAUSED and 49 <= session.elapsed_seconds <= 52
    assert services.time_left(session) == session.time_limit_seconds - session.elapsed_seconds
    assert not services.session_pause(session=session)
    assert services.session_resume(session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE and session.resumed_at is not None


def test_a_timed_block_ends_itself_when_the_clock_runs_out(student, bank):
    session = _block(student, mode="timed", size=1)
    PracticeSession.objects.filter(pk=session.pk).update(resumed_at=timezone.now() - datetime.timedelta(seconds=500))
    session.refresh_from_db()
    assert services.time_left(session) == 0
    with pytest.raises(services.BlockClosed):
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0)
    assert services.session_expire_if_over(session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED and session.total_time_seconds == 90
    assert not UserQuestionAttempt.objects.exists()


def test_marks_strike_outs_and_choices_persist_until_the_answer(student, bank):
    session = _block(student, size=1, topics=("Renal",))
    services.item_update(user=student, session=session, position=1, selected_index=3, struck_options=[1, 4, 1],
                         is_marked=True, confidence=2)  # fmt: skip
    item = session.items.get()
    assert (item.selected_index, item.struck_options, item.is_marked, item.confidence_rating) == (3, [1, 4], True, 2)
    services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=3)
    services.item_update(user=student, session=session, position=1, selected_index=0, is_marked=False)
    item.refresh_from_db()
    assert (item.selected_index, item.is_marked) == (3, False)  # the answer stands; the mark can change


def test_another_students_block_cannot_be_answered(student, peer, bank):
    session = _block(student, size=1)
    with pytest.raises(PracticeSessionQuestion.DoesNotExist):
        services.answer_submit(user=peer, session_id=session.pk, position=1, selected_index=0)
    assert not UserQuestionAttempt.objects.exists()


def test_peer_stats(student, bank):
    verified, _, _ = bank
    question = verified[0]
    Question.objects.filter(pk=question.pk).update(times_answered=10, times_correct=6, answer_counts=[6, 2, 0, 2, 0])
    question.refresh_from_db()
    stats = peer_stats(question=question)
    assert (stats.answered, stats.percent_correct, stats.distribution) == (10, 60, [60, 20, 0, 20, 0])
    assert stats.band == "very easy"  # the only question with enough answers is the easiest
    assert peer_stats(question=verified[1]).percent_correct is None


def test_peer_stats_leave_out_the_students_own_answers_and_need_five_peers(student, peer, bank):
    verified, _, _ = bank
    question = verified[0]
    for who, choice in ((student, 0), (student, 1), *((peer, 0),) * 4):
        session = services.block_start_from_questions(user=who, question_ids=[question.pk])
        services.answer_submit(user=who, session_id=session.pk, position=1, selected_index=choice)
    question.refresh_from_db()
    assert question.times_answered == 6

    own = own_answer_counts(user=student, question_ids=[question.pk])
    assert own == {question.pk: [1, 1]}
    four = peer_stats(question=question, own=own[question.pk])
    assert (four.answered, four.enough, four.percent_correct) == (4, False, None)  # four peers: too few

    session = services.block_start_from_questions(user=peer, question_ids=[question.pk])
    services.answer_submit(user=peer, session_id=session.pk, position=1, selected_index=2)
    question.refresh_from_db()
    five = peer_stats(question=question, own=own[question.pk])
    assert (five.answered, five.percent_correct, five.distribution) == (5, 80, [80, 0, 20, 0, 0])
    assert own_answer_counts(user=peer, question_ids=[question.pk]) == {question.pk: [4, 0, 1]}


# --- Time on screen --------------------------------------------------------------------------

T0 = datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC)  # a year end, on purpose


def _at(seconds: float):
    return time_machine.travel(T0 + datetime.timedelta(seconds=seconds), tick=False)


def _navigate(session, position):
    session.refresh_from_db()
    services.session_navigate(session=session, position=position)


def test_an_answers_time_is_the_time_its_question_was_on_screen(student, bank):
    with _at(0):
        session = _block(student, size=3)
        _navigate(session, 1)
    with _at(5):
        _navigate(session, 2)  # previewing the others...
    with _at(35):
        _navigate(session, 3)
    with _at(65):
        _navigate(session, 1)  # ...and back
    with _at(66):
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0)
    assert session.items.get(question_order=1).time_taken_seconds == 6  # 5 s, then 1 s: not 66
    with _at(70):
        _navigate(session, 2)
    with _at(80):
        services.answer_submit(user=student, session_id=session.pk, position=2, selected_index=0)
    assert session.items.get(question_order=2).time_taken_seconds == 40  # 30 s, then 10 s


def test_reloading_the_question_on_screen_keeps_its_time_running(student, bank):
    with _at(0):
        session = _block(student, size=2)
        _navigate(session, 1)
    with _at(20):
        _navigate(session, 1)  # a reload
    with _at(25):
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0)
    assert session.items.get(question_order=1).time_taken_seconds == 25


def test_a_pause_stops_the_time_on_screen_too(student, bank):
    with _at(0):
        session = _block(student, size=2)
        _navigate(session, 1)
    with _at(10):
        session.refresh_from_db()
        services.session_pause(session=session)
    with _at(3600 * 5):
        session.refresh_from_db()
        services.session_resume(session=session)
    with _at(3600 * 5 + 3):
        services.answer_submit(user=student, session_id=session.pk, position=1, selected_index=0)
    assert session.items.get(question_order=1).time_taken_seconds == 13
