"""The answer path under concurrent requests, with real transactions and connections."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from gamification.models import XPTransaction
from practice import services
from practice.models import SessionType
from progress.models import SM2ReviewCard
from questions.models import UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _together(count: int, work) -> list:
    """Run work(i) in `count` threads started at the same moment, each on its own connection
    and in its own transaction with the student's row-level security context, as requests are."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _block(student, questions):
    with rls_context(user_id=student.pk):
        return services.block_start_from_questions(
            user=student, question_ids=[q.pk for q in questions], mode=SessionType.TUTOR
        )


def test_two_submits_of_one_item_at_once_record_one_attempt_one_review_and_xp_once(student):
    question = factories.QuestionFactory(is_verified=True, difficulty="easy")
    block = _block(student, [question])

    def submit(i):
        with rls_context(user_id=student.pk):
            return services.answer_submit(
                user=student, session_id=block.pk, position=1, selected_index=question.correct_index
            )

    outcomes = _together(2, submit)
    assert sorted(o.recorded for o in outcomes) == [False, True]
    with rls_context(role=ROLE_SYSTEM):
        assert UserQuestionAttempt.objects.filter(user=student).count() == 1
        card = SM2ReviewCard.objects.get(user=student, question=question)
        assert card.last_reviewed_at is not None and card.repetition_count == 1
        assert XPTransaction.objects.filter(user=student, source="question_answered").count() == 1
        student.refresh_from_db()
        assert student.xp == XPTransaction.objects.filter(user=student).aggregate(t=Sum("amount"))["t"]


def test_fifty_concurrent_answers_of_one_student_keep_xp_equal_to_the_ledger(student):
    questions = [factories.QuestionFactory(is_verified=True, difficulty="medium") for _ in range(50)]
    blocks = [_block(student, questions[:25]), _block(student, questions[25:])]  # two tabs, 25 each

    def submit(i):
        with rls_context(user_id=student.pk):
            return services.answer_submit(
                user=student, session_id=blocks[i // 25].pk, position=i % 25 + 1,
                selected_index=questions[i].correct_index if i % 3 else (questions[i].correct_index + 1) % 5,
            )  # fmt: skip

    outcomes = _together(50, submit)
    assert all(isinstance(o, services.AnswerOutcome) and o.recorded for o in outcomes), [
        o for o in outcomes if not isinstance(o, services.AnswerOutcome)
    ]
    with rls_context(role=ROLE_SYSTEM):
        student.refresh_from_db()
        ledger = XPTransaction.objects.filter(user=student).aggregate(t=Sum("amount"))["t"]
        assert student.xp == ledger
        assert XPTransaction.objects.filter(user=student, source="question_answered").count() == 50
        assert SM2ReviewCard.objects.filter(user=student).count() == 50
        assert student.current_streak == 1
        # each answer saw the XP total the one before it left: their gains add up to the ledger
        assert sum(o.reward.xp_gained for o in outcomes) == ledger
        assert max(o.reward.xp for o in outcomes) == ledger
