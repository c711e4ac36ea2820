"""XP, levels, study days and streaks, the daily goal and achievements, through the answer path."""

import datetime

import pytest
import time_machine
from django.db.models import Sum

from accounts.models import User
from gamification.achievements import UnknownCondition, conditions_check
from gamification.models import Achievement, UserAchievement, UserStreak, XPSource, XPTransaction
from gamification.services import XP_DAILY_GOAL, level_for, xp_for_level
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)  # a Monday afternoon in UTC


def _day(n: int, hour: int = 15) -> datetime.datetime:
    return T0.replace(hour=hour) + datetime.timedelta(days=n)


def _answer_at(at, student, question=None, **kwargs):
    question = question or factories.QuestionFactory(is_verified=True, difficulty="medium")
    with time_machine.travel(at, tick=False):
        return answer(student, question, **kwargs)


def _ledger(student) -> int:
    return XPTransaction.objects.filter(user=student).aggregate(total=Sum("amount"))["total"] or 0


def test_the_level_curve():
    assert [xp_for_level(level) for level in range(1, 6)] == [0, 100, 300, 600, 1000]
    assert [level_for(xp) for xp in (0, 99, 100, 299, 300, 999, 1000, 1001)] == [1, 1, 2, 2, 3, 4, 5, 5]


def test_an_answer_earns_xp_by_correctness_and_difficulty_into_the_ledger(student):
    right = _answer_at(_day(0), student, factories.QuestionFactory(is_verified=True, difficulty="hard"))
    wrong = _answer_at(_day(0), student, correct=False)
    assert right.reward.xp_gained == 20 + 10  # 10 + 10 for hard, and "First Steps" (10 XP) unlocked
    assert [a.code for a in right.reward.achievements] == ["first_question"]
    assert wrong.reward.xp_gained == 2
    student.refresh_from_db()
    assert student.xp == _ledger(student) == 32 and student.level == 1


def test_a_level_is_reached_when_the_ledger_crosses_it(student):
    XPTransaction.objects.create(user=student, amount=95, source=XPSource.QUESTION_ANSWERED)
    User.objects.filter(pk=student.pk).update(xp=95)
    outcome = _answer_at(_day(0), student)
    assert outcome.reward.level_up and outcome.reward.level == 2
    student.refresh_from_db()
    assert (student.xp, student.level) == (_ledger(student), 2)


def test_study_days_follow_the_students_time_zone(student):
    student.time_zone = "America/New_York"
    student.save()
    # 22:30 on 1 March and 00:30 on 2 March in New York: two study days, one UTC day.
    first = _answer_at(datetime.datetime(2026, 3, 2, 3, 30, tzinfo=datetime.UTC), student)
    second = _answer_at(datetime.datetime(2026, 3, 2, 5, 30, tzinfo=datetime.UTC), student)
    assert (first.reward.streak, second.reward.streak) == (1, 2) and second.reward.streak_extended
    days = list(UserStreak.objects.filter(user=student).order_by("streak_date").values_list("streak_date", flat=True))
    assert days == [datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)]


def test_a_second_answer_the_same_day_keeps_the_streak(student):
    _answer_at(_day(0), student)
    again = _answer_at(_day(0, hour=20), student)
    assert (again.reward.streak, again.reward.streak_extended) == (1, False)
    day = UserStreak.objects.get(user=student)
    assert (day.questions_answered, day.study_seconds) == (2, 80)


def test_seven_days_earn_a_freeze_that_covers_one_missed_day(student):
    for n in range(7):
        outcome = _answer_at(_day(n), student)
    student.refresh_from_db()
    assert (outcome.reward.streak, student.streak_freezes) == (7, 1)

    after_gap = _answer_at(_day(8), student)  # day 7 missed
    student.refresh_from_db()
    assert (after_gap.reward.streak, after_gap.reward.freezes_used, student.streak_freezes) == (8, 1, 0)
    frozen = UserStreak.objects.get(user=student, is_frozen=True)
    assert frozen.streak_date == _day(7).date() and frozen.questions_answered == 0
    assert student.current_streak == student.max_streak == 8


def test_two_missed_days_break_a_streak_one_freeze_cannot_cover(student):
    for n in range(7):
        _answer_at(_day(n), student)
    broken = _answer_at(_day(9), student)  # days 7 and 8 missed, one freeze held
    student.refresh_from_db()
    assert broken.reward.streak == 1 and broken.reward.freezes_used == 0
    assert (student.current_streak, student.max_streak, student.streak_freezes) == (1, 7, 1)
    assert not UserStreak.objects.filter(user=student, is_frozen=True).exists()


def test_at_most_two_freezes_are_held(student):
    for n in range(21):
        _answer_at(_day(n), student)
    student.refresh_from_db()
    assert student.streak_freezes == 2


def test_the_daily_goal_awards_xp_once_a_day(student):
    student.daily_goal_minutes = 1
    student.save()
    outcomes = [_answer_at(_day(0, hour=10 + i), student, seconds=40) for i in range(3)]
    assert [o.reward.goal_met for o in outcomes] == [False, True, False]
    assert XPTransaction.objects.filter(user=student, source=XPSource.DAILY_GOAL_MET).count() == 1
    assert outcomes[1].reward.xp_gained == 15 + XP_DAILY_GOAL
    assert _answer_at(_day(1), student, seconds=70).reward.goal_met  # a new day, a new goal
    assert UserStreak.objects.get(user=student, streak_date=_day(0).date()).goal_met


def _unlocked(student) -> dict[str, int]:
    rows = XPTransaction.objects.filter(user=student, source=XPSource.ACHIEVEMENT_UNLOCK)
    return {
        r.metadata["achievement"]: rows.filter(metadata__achievement=r.metadata["achievement"]).count() for r in rows
    }


def test_each_seeded_achievement_unlocks_exactly_once(student):
    anatomy = [factories.QuestionFactory(is_verified=True, topic="Anatomy") for _ in range(10)]
    for question in anatomy:  # ten right in a row, in Anatomy, slowly: mastery 100%, no speed
        _answer_at(_day(0), student, question, seconds=45)
    _answer_at(_day(0), student, seconds=12)  # a right answer in under 30 s
    _answer_at(_day(0, hour=1), student)  # 01:00: after midnight
    _answer_at(_day(0, hour=5), student)  # 05:00: before six
    for n in range(1, 30):  # thirty study days
        _answer_at(_day(n), student, correct=n % 2 == 0)
    for question in anatomy[:3]:
        _answer_at(_day(30), student, question)  # more of everything unlocks nothing twice

    codes = set(Achievement.objects.values_list("code", flat=True))
    assert len(codes) == 8
    assert _unlocked(student) == {code: 1 for code in codes}
    assert UserAchievement.objects.filter(user=student, is_completed=True).count() == 8
    student.refresh_from_db()
    assert student.xp == _ledger(student)


def test_a_wrong_answer_restarts_the_run_of_right_ones(student):
    for _ in range(9):
        _answer_at(_day(0), student)
    _answer_at(_day(0), student, correct=False)
    perfect = UserAchievement.objects.get(user=student, achievement__code="perfect_10")
    assert (perfect.progress, perfect.is_completed) == (0, False)


def test_a_new_achievement_made_of_known_conditions_works_without_code(student):
    Achievement.objects.create(code="renal_5", name="Renal Regular", description="5 answers", category="milestone",
                               xp_reward=30, unlock_conditions={"questions_answered": 5}, icon="🫘")  # fmt: skip
    outcomes = [_answer_at(_day(0), student) for _ in range(5)]
    assert [a.code for a in outcomes[-1].reward.achievements] == ["renal_5"]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [({"questions_answerd": 5}, "Unknown condition questions_answerd"), ({"topic": "Renal"}, "go together"),
     ({"streak_days": "seven"}, "whole number"), ([], "JSON object"), ({"study_hour_after": 25}, "0 to 23")],
)  # fmt: skip
def test_conditions_the_engine_does_not_know_are_refused(conditions, message):
    with pytest.raises(UnknownCondition, match=message):
        conditions_check(conditions)


def test_the_admin_refuses_an_achievement_with_an_unknown_condition(admin_client):
    response = admin_client.post(
        "/admin/gamification/achievement/add/",
        {"code": "x", "name": "X", "description": "x", "category": "milestone", "xp_reward": 5, "rarity": "common",
         "is_active": "on", "unlock_conditions": '{"answers_in_a_minute": 3}'},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Unknown condition answers_in_a_minute" in response.content.decode()
    assert not Achievement.objects.filter(code="x").exists()
