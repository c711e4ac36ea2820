"""The quality score from students' answers: facility and discrimination (questions/quality.py)."""

import pytest
from django.urls import reverse

from questions.models import Question
from questions.quality import MIN_STUDENTS, item_statistics_refresh, quality_from
from tests import factories

pytestmark = pytest.mark.django_db


def test_quality_from_the_statistics():
    assert quality_from(base=0.9, facility=0.6, discrimination=0.45, students=30) == (0.9, [])
    score, reasons = quality_from(base=0.9, facility=0.6, discrimination=-0.3, students=30)
    assert score == 0.25 and "check the key" in reasons[0] and "D = -0.30" in reasons[0]
    score, reasons = quality_from(base=0.9, facility=0.6, discrimination=0.05, students=30)
    assert score == 0.45 and "does not tell strong students from weak ones" in reasons[0]
    score, reasons = quality_from(base=0.9, facility=0.1, discrimination=0.3, students=30)
    assert score == 0.45 and "fewer than one in five" in reasons[0]
    score, _ = quality_from(base=0.9, facility=0.97, discrimination=0.3, students=30)
    assert score == 0.8


@pytest.fixture
def cohort():
    """24 students of spread-out ability (8 other questions, student k right on k // 3 of them),
    a good question (the stronger half right) and a miskeyed one (the weaker half "right")."""
    students = [factories.UserFactory() for _ in range(24)]
    others = [factories.QuestionFactory(is_verified=True) for _ in range(8)]
    good = factories.QuestionFactory(is_verified=True, quality_score=0.9, difficulty="hard")
    miskeyed = factories.QuestionFactory(quality_score=0.9, generation_score=0.9, quality_reasons=["Flag from checks."])
    rare = factories.QuestionFactory(is_verified=True, quality_score=0.9)
    for k, student in enumerate(students):
        for n, question in enumerate(others):
            factories.AttemptFactory(user=student, question=question, is_correct=n < k // 3)
        factories.AttemptFactory(user=student, question=good, is_correct=k >= 12)
        factories.AttemptFactory(user=student, question=miskeyed, is_correct=k < 12)
        if k < MIN_STUDENTS - 1:
            factories.AttemptFactory(user=student, question=rare, is_correct=k < 3)
    for question in (good, miskeyed, rare, *others):
        answers = question.attempts.count()
        Question.objects.filter(pk=question.pk).update(
            times_answered=answers, times_correct=question.attempts.filter(is_correct=True).count()
        )
    return good, miskeyed, rare


def test_a_question_the_strong_get_right_keeps_its_score(cohort):
    good, _, _ = cohort
    item_statistics_refresh()
    good.refresh_from_db()
    assert good.discrimination == 1.0 and good.quality_score == 0.9 and good.quality_reasons == []
    assert good.difficulty == "medium"  # half right: corrected from "hard"
    assert good.statistics_at is not None


def test_a_miskeyed_question_falls_into_the_low_quality_queue_with_its_reasons(cohort, client, staff_member):
    good, miskeyed, _ = cohort
    item_statistics_refresh()
    miskeyed.refresh_from_db()
    assert miskeyed.discrimination == -1.0 and miskeyed.quality_score == 0.25
    assert miskeyed.quality_reasons[0] == "Flag from checks."  # the checks' reasons stay
    assert "strong students miss it more often than weak ones" in miskeyed.quality_reasons[1]

    client.force_login(staff_member)
    listed = client.get(reverse("admin:questions_question_changelist"), {"queue": "low_quality"})
    queue = {q.pk for q in listed.context["cl"].result_list}
    assert miskeyed.pk in queue and good.pk not in queue
    page = client.get(reverse("admin:questions_question_change", args=[miskeyed.pk])).content.decode()
    assert "strong students miss it more often than weak ones" in page and "discrimination -1.00" in page


def test_too_few_students_leave_a_question_alone_and_a_second_run_changes_nothing(cohort):
    _, _, rare = cohort
    assert item_statistics_refresh() == 10  # the 8 others, the good one and the miskeyed one
    rare.refresh_from_db()
    assert (rare.quality_score, rare.discrimination, rare.statistics_at) == (0.9, None, None)
    assert item_statistics_refresh() == 0


def test_the_hourly_task_runs_it(cohort):
    from questions.tasks import item_statistics_refresh as task

    assert task.apply().get() == 10
