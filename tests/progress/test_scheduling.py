"""The schedulers (progress/scheduling.py) on hand-computed histories, and the review card the
answer path keeps."""

import datetime
import uuid

import pytest
import time_machine
from fsrs import Card, Rating, Scheduler

from progress import scheduling
from progress.models import SM2ReviewCard
from progress.scheduling import LEECH_LAPSES, CardState, Grade, grade_for, retrievability, sm2_review
from tests import factories
from tests.answering import answer

T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("correct", "confidence", "grade"),
    [(False, 5, Grade.AGAIN), (False, None, Grade.AGAIN), (True, 1, Grade.HARD), (True, 2, Grade.HARD),
     (True, 3, Grade.GOOD), (True, 4, Grade.GOOD), (True, None, Grade.GOOD), (True, 5, Grade.EASY)],
)  # fmt: skip
def test_grades_map_the_answer_and_its_confidence(correct, confidence, grade):
    assert grade_for(is_correct=correct, confidence=confidence) == grade


def _sm2(grades):
    card, rows, now = CardState(), [], T0
    for grade in grades:
        card = sm2_review(card, grade, now)
        rows.append((card.repetition_count, card.interval_days, round(card.easiness_factor, 2)))
        now = card.due
    return rows


def test_sm2_follows_the_published_algorithm():
    # Good (q=4) leaves EF at 2.5: intervals 1, 6, then ceil(6 x 2.5) = 15, ceil(15 x 2.5) = 38.
    assert _sm2([Grade.GOOD] * 4) == [(1, 1, 2.5), (2, 6, 2.5), (3, 15, 2.5), (4, 38, 2.5)]
    # Easy (q=5) adds 0.1 each time; Hard (q=3) takes 0.14: ceil(6 x 2.56) = 16.
    assert _sm2([Grade.EASY, Grade.EASY, Grade.HARD]) == [(1, 1, 2.6), (2, 6, 2.7), (3, 16, 2.56)]
    # Again (q=1) restarts at 1 day and leaves EF as it was.
    assert _sm2([Grade.GOOD, Grade.GOOD, Grade.AGAIN, Grade.GOOD]) == [
        (1, 1, 2.5),
        (2, 6, 2.5),
        (0, 1, 2.5),
        (1, 1, 2.5),
    ]


def test_sm2_easiness_never_falls_below_1_3():
    card = CardState(repetition_count=3, interval_days=10, easiness_factor=1.35)
    assert sm2_review(card, Grade.HARD, T0).easiness_factor == 1.3  # 1.35 - 0.14, floored
    assert sm2_review(card, Grade.HARD, T0).interval_days == 13  # ceil(10 x 1.3)


def test_a_card_forgotten_eight_times_becomes_a_leech():
    card = CardState(repetition_count=1, state=2, lapses=LEECH_LAPSES - 2)
    card = sm2_review(card, Grade.AGAIN, T0)  # 7 lapses
    assert (card.lapses, card.is_suspended) == (LEECH_LAPSES - 1, False)
    card = sm2_review(sm2_review(card, Grade.GOOD, T0), Grade.AGAIN, T0)  # 8
    assert (card.lapses, card.is_suspended) == (LEECH_LAPSES, True)
    never_learnt = sm2_review(CardState(), Grade.AGAIN, T0)  # a new card answered wrong is no lapse
    assert never_learnt.lapses == 0


def test_retrievability_follows_the_fsrs_curve():
    card = CardState(stability=10.0, last_reviewed_at=T0, state=2)
    assert retrievability(card, T0 + datetime.timedelta(days=10)) == pytest.approx(0.9, abs=1e-6)
    assert retrievability(card, T0) == 1.0
    assert retrievability(CardState(), T0) == 0.0


@pytest.mark.django_db
def test_the_answer_path_keeps_the_fsrs_card_the_fsrs_package_computes(student):
    question = factories.QuestionFactory(is_verified=True, difficulty="medium")
    history = [(T0, True, 3), (T0 + datetime.timedelta(days=1), True, 5), (T0 + datetime.timedelta(days=9), False, 3),
               (T0 + datetime.timedelta(days=9, minutes=15), True, 2)]  # fmt: skip
    for at, correct, confidence in history:
        with time_machine.travel(at, tick=False):
            answer(student, question, correct=correct, confidence=confidence)
    row = SM2ReviewCard.objects.get(user=student, question=question)

    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=True)
    reference = Card(card_id=row.pk.int, due=T0)
    for at, correct, confidence in history:
        rating = Rating(int(grade_for(is_correct=correct, confidence=confidence)))
        with scheduling._fuzz_seeded(f"{row.pk}:{at.isoformat()}"):  # the same fuzz draws as the card's
            reference, _ = scheduler.review_card(reference, rating, review_datetime=at)

    assert (row.state, row.step) == (reference.state.value, reference.step)
    assert row.stability == pytest.approx(reference.stability)
    assert row.difficulty == pytest.approx(reference.difficulty)
    assert row.due == reference.due and row.last_reviewed_at == reference.last_review
    assert row.lapses == 1  # recalled (Good, Easy), then forgotten


@pytest.mark.django_db
def test_a_student_on_sm2_gets_sm2_intervals_and_their_retention_is_theirs(student):
    student.scheduler = "sm2"
    student.save()
    question = factories.QuestionFactory(is_verified=True)
    for day in (0, 1, 7):
        with time_machine.travel(T0 + datetime.timedelta(days=day), tick=False):
            outcome = answer(student, question, correct=True, confidence=4)
    card = SM2ReviewCard.objects.get(user=student, question=question)
    assert (card.repetition_count, card.interval_days, card.easiness_factor) == (3, 15, 2.5)
    assert card.due == T0 + datetime.timedelta(days=7 + 15) and card.next_review_date == datetime.date(2026, 3, 23)
    assert outcome.progress.interval_days == 15


@pytest.mark.django_db
def test_every_answer_reviews_one_card_and_a_leech_is_suspended(student):
    question = factories.QuestionFactory(is_verified=True)
    with time_machine.travel(T0, tick=False):
        answer(student, question, correct=True)
    for i in range(LEECH_LAPSES):
        with time_machine.travel(T0 + datetime.timedelta(days=i + 1), tick=False):
            answer(student, question, correct=True)
            outcome = answer(student, question, correct=False)
    card = SM2ReviewCard.objects.get(user=student, question=question)
    assert SM2ReviewCard.objects.filter(user=student).count() == 1
    assert (card.lapses, card.is_suspended) == (LEECH_LAPSES, True)
    assert outcome.progress.became_leech
    assert uuid.UUID(str(card.pk))  # the card's id is the row's
