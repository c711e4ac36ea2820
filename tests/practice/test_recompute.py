"""One definition of derived state: the recompute agrees with the answer path on the same attempts."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from gamification.models import UserAchievement, UserStreak, XPTransaction
from practice import services
from practice.management.commands.recompute_progress import Command
from practice.models import SessionType
from progress.models import MasteryLevel, SM2ReviewCard, UserProgress
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 6, 1, 14, 0, tzinfo=datetime.UTC)
CARD = ("question_id", "repetition_count", "easiness_factor", "interval_days", "state", "step", "stability",
        "difficulty", "due", "last_reviewed_at", "lapses", "is_suspended")  # fmt: skip


def _derived(user) -> dict:
    user.refresh_from_db()
    return {
        "totals": (user.xp, user.level, user.current_streak, user.max_streak, user.streak_freezes),
        "ledger": sorted(XPTransaction.objects.filter(user=user).values_list("amount", "source", "created_at")),
        "days": sorted(
            UserStreak.objects.filter(user=user).values_list(
                "streak_date", "is_frozen", "questions_answered", "study_seconds", "goal_met"
            )
        ),  # fmt: skip
        "achievements": sorted(
            UserAchievement.objects.filter(user=user).values_list(
                "achievement__code", "progress", "is_completed", "unlocked_at"
            )
        ),  # fmt: skip
        "cards": sorted(SM2ReviewCard.objects.filter(user=user).values_list(*CARD)),
        "progress": sorted(
            UserProgress.objects.filter(user=user).values_list("question_id", "total_attempts", "correct_attempts")
        ),  # fmt: skip
        "mastery": sorted(
            MasteryLevel.objects.filter(user=user).values_list(
                "topic", "questions_answered", "questions_correct", "proficiency_level"
            )
        ),  # fmt: skip
    }


@pytest.mark.parametrize("scheduler", ["fsrs", "sm2"])
def test_the_recompute_agrees_with_the_answer_path(student, scheduler):
    student.scheduler, student.daily_goal_minutes, student.time_zone = scheduler, 1, "Asia/Tokyo"
    student.save()
    questions = [factories.QuestionFactory(is_verified=True, topic=t, difficulty=d)
                 for t, d in (("Renal", "easy"), ("Renal", "hard"), ("Cardiology", "medium"))]  # fmt: skip
    days = [0, 1, 2, 3, 4, 5, 6, 8, 11]  # a freeze earned on day 6 covers day 7; days 9-10 break the streak
    for n in days:
        for i, question in enumerate(questions):
            with time_machine.travel(T0 + datetime.timedelta(days=n, minutes=5 * i), tick=False):
                answer(student, question, correct=(n + i) % 3 != 0, confidence=(n % 5) + 1, seconds=25 + 3 * i)
    with time_machine.travel(T0 + datetime.timedelta(days=12), tick=False):
        review = services.block_start_from_questions(
            user=student, question_ids=[q.pk for q in questions[:2]], mode=SessionType.REVIEW
        )
        for position in (1, 2):
            services.answer_submit(user=student, session_id=review.pk, position=position, selected_index=0)
    live = _derived(student)
    assert live["totals"][3] >= 7 and any(frozen for _, frozen, *_ in live["days"])

    call_command("recompute_progress", "--user", student.email, stdout=io.StringIO())

    assert _derived(student) == live
    call_command("recompute_progress", stdout=io.StringIO())
    assert _derived(student) == live  # twice: the same


def test_a_dry_run_changes_nothing(student):
    with time_machine.travel(T0, tick=False):
        answer(student, factories.QuestionFactory(is_verified=True))
    User.objects.filter(pk=student.pk).update(xp=999)
    assert "dry run" in Command().recompute(email=student.email, dry_run=True)
    student.refresh_from_db()
    assert student.xp == 999
    Command().recompute(email=student.email)
    student.refresh_from_db()
    assert student.xp == 25  # 15 for a right answer to a medium question, 10 for "First Steps"
