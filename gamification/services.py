"""Writes for gamification: the XP ledger and the level, study days and streaks, the daily goal,
achievements, the weekly leaderboard.

The ledger (`xp_transactions`) is the truth: `users.xp` is always the sum of a student's rows and
`users.level` the level that sum reaches (LEVEL_STEP). This app is the only writer of `users.xp`,
`level`, `current_streak`, `max_streak`, `streak_freezes` and `last_study_date`, and writes them
in the same statement as the ledger rows.

`answer_reward` is a step of the answer path (practice/services.py `answer_submit`), inside that
transaction, with the student's row already locked there: two statements, one read and one
write. Amounts: README "XP, levels and streaks".
"""

from __future__ import annotations

import datetime
import json
import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.models import User
from gamification.achievements import AnswerFacts, evaluate
from gamification.models import Achievement, XPSource
from questions.answers import RecordedAnswer
from questions.models import UserQuestionAttempt
from studyin.cache import leaderboard_key, stats_invalidate
from studyin.rls import ROLE_SYSTEM, rls_context

XP_CORRECT = 10
XP_WRONG = 2  # effort counts too
XP_DIFFICULTY = {"easy": 0, "medium": 5, "hard": 10, "nbme": 15}  # added to a right answer
XP_REVIEW_COMPLETE = 20  # the last question of a review block answered
XP_DAILY_GOAL = 25  # once a day, when the day's study time reaches the goal
XP_MILESTONE = 50  # a learning-path milestone reached (coach/paths.py)
FREEZE_EVERY_DAYS = 7  # one streak freeze earned per 7 days of streak
FREEZES_MAX = 2
LEVEL_STEP = 100  # level L needs LEVEL_STEP * (1 + 2 + ... + (L - 1)) XP: 0, 100, 300, 600, 1000, ...


def xp_for_level(level: int) -> int:
    return LEVEL_STEP * level * (level - 1) // 2


def level_for(xp: int) -> int:
    """The highest level whose threshold `xp` reaches (the inverse of xp_for_level)."""
    level = int((1 + math.sqrt(1 + 8 * max(0, xp) / LEVEL_STEP)) / 2)
    while xp_for_level(level + 1) <= xp:
        level += 1
    while level > 1 and xp_for_level(level) > xp:
        level -= 1
    return level


def answer_xp(*, is_correct: bool, difficulty: str) -> int:
    return XP_CORRECT + XP_DIFFICULTY.get(difficulty, 0) if is_correct else XP_WRONG


@dataclass(frozen=True)
class Unlocked:
    code: str
    name: str
    icon: str
    xp: int


@dataclass(frozen=True)
class RewardOutcome:
    xp_gained: int
    xp: int
    level: int
    level_up: bool
    streak: int
    streak_extended: bool  # this answer made today a study day and the streak grew
    freezes_used: int
    goal_met: bool  # the daily goal was met with this answer
    goal_seconds: int  # today's study time after this answer
    goal_target_seconds: int
    achievements: list[Unlocked] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)  # topics of learning-path milestones reached


# The student's state for this answer. The answer path holds the users row locked (it was
# locked before anything was written), so nothing read here can change before the write.
STATE_READ = """
SELECT u.xp, u.level, u.current_streak, u.streak_freezes, u.daily_goal_minutes, d.today, d.hour,
       t.study_seconds, t.goal_met,
       (SELECT max(s.streak_date) FROM user_streaks s WHERE s.user_id = u.id AND s.streak_date < d.today),
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'id', a.id, 'code', a.code, 'name', a.name, 'icon', coalesce(a.icon, ''), 'xp', a.xp_reward,
                   'conditions', a.unlock_conditions, 'progress', coalesce(ua.progress, 0))), '[]'::jsonb)
        FROM achievements a
        LEFT JOIN user_achievements ua ON ua.achievement_id = a.id AND ua.user_id = u.id
        WHERE a.is_active AND NOT coalesce(ua.is_completed, false))
FROM users u
CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE u.time_zone)::date AS today,
                           extract(hour FROM %(now)s::timestamptz AT TIME ZONE u.time_zone)::int AS hour) d
LEFT JOIN user_streaks t ON t.user_id = u.id AND t.streak_date = d.today
WHERE u.id = %(user)s
"""

# The rows a reward writes: the ledger rows, the study days, the achievements' progress. A row's
# `at` is its time (the recompute gives each its answer's), else the statement's %(now)s.
REWARD_ROWS = """
WITH ledger AS (
    INSERT INTO xp_transactions (id, user_id, amount, source, description, metadata, created_at)
    SELECT gen_random_uuid(), %(user)s, x.amount, x.source, x.description, x.metadata, coalesce(x.at, %(now)s)
    FROM jsonb_to_recordset(%(ledger)s::jsonb)
         AS x(amount int, source text, description text, metadata jsonb, at timestamptz)
), days AS (
    INSERT INTO user_streaks (id, user_id, streak_date, is_frozen, questions_answered, study_minutes, study_seconds,
                              goal_met, created_at)
    SELECT gen_random_uuid(), %(user)s, d.day, d.frozen, d.answered, d.seconds / 60, d.seconds, d.goal_met, %(now)s
    FROM jsonb_to_recordset(%(days)s::jsonb) AS d(day date, frozen boolean, answered int, seconds int, goal_met boolean)
    ON CONFLICT (user_id, streak_date) DO UPDATE SET
        questions_answered = user_streaks.questions_answered + EXCLUDED.questions_answered,
        study_seconds = user_streaks.study_seconds + EXCLUDED.study_seconds,
        study_minutes = (user_streaks.study_seconds + EXCLUDED.study_seconds) / 60,
        goal_met = user_streaks.goal_met OR EXCLUDED.goal_met
), unlocks AS (
    INSERT INTO user_achievements (id, user_id, achievement_id, progress, is_completed, unlocked_at, created_at)
    SELECT gen_random_uuid(), %(user)s, a.id, a.progress, a.done,
           CASE WHEN a.done THEN coalesce(a.at, %(now)s::timestamptz) END, coalesce(a.at, %(now)s)
    FROM jsonb_to_recordset(%(achievements)s::jsonb) AS a(id uuid, progress int, done boolean, at timestamptz)
    ON CONFLICT (user_id, achievement_id) DO UPDATE SET progress = EXCLUDED.progress,
        is_completed = EXCLUDED.is_completed, unlocked_at = EXCLUDED.unlocked_at
    WHERE NOT user_achievements.is_completed
)
"""
# Every write of the reward in one statement: its rows, and the totals on the student's row.
REWARD_WRITE = (
    REWARD_ROWS
    + """UPDATE users SET xp = xp + %(gained)s, level = %(level)s, current_streak = %(streak)s,
       max_streak = greatest(max_streak, %(streak)s), streak_freezes = %(freezes)s,
       last_study_date = greatest(last_study_date, %(now)s::timestamptz)
WHERE id = %(user)s
"""
)


@dataclass
class StudentState:
    """What rewarding an answer starts from, and leaves: the totals on the student's row, the
    study day of the answer (its seconds so far, None before its first answer), the last study
    day before it, and the progress of each achievement not yet unlocked."""

    xp: int
    streak: int
    freezes: int
    goal_minutes: int
    today: datetime.date
    hour: int
    today_seconds: int | None
    goal_met: bool
    last_day: datetime.date | None
    catalogue: list[dict]  # {"id", "code", "name", "icon", "xp", "conditions", "progress"}


@dataclass
class Decision:
    ledger: list[dict]
    days: list[dict]
    progress: list[dict]
    unlocked: list[Unlocked]
    streak_extended: bool
    freezes_used: int
    goal_met: bool
    seconds: int


def reward_decide(
    state: StudentState, answer: RecordedAnswer, *, topic_answered: int, topic_mastery: float,
    milestones: Sequence[str] = (),
) -> Decision:  # fmt: skip
    """The rules of a reward, with no database: XP, the study day and streak, the daily goal, the
    achievements. Updates `state` in place to what the answer leaves. The answer path and the
    recompute (`rewards_recompute`) both go through it."""
    ledger = [_entry(answer_xp(is_correct=answer.is_correct, difficulty=answer.difficulty),
                     XPSource.QUESTION_ANSWERED, "Question answered", {"question": str(answer.question_id)})]  # fmt: skip
    if answer.completes_review:
        ledger.append(_entry(XP_REVIEW_COMPLETE, XPSource.REVIEW_COMPLETE, "Review block completed", {}))
    ledger += [_entry(XP_MILESTONE, XPSource.MILESTONE_COMPLETE, f"Milestone reached: {topic}", {"topic": topic})
               for topic in milestones]  # fmt: skip

    days, used = [], 0
    first_today = state.today_seconds is None
    if first_today:
        missed = (state.today - state.last_day).days - 1 if state.last_day else None
        if missed is not None and 0 < missed <= state.freezes:  # a freeze covers each missed day
            days += [_day(state.last_day + datetime.timedelta(days=i), frozen=True) for i in range(1, missed + 1)]
            used = missed
        covered = missed is not None and missed <= state.freezes and state.streak > 0
        state.streak = state.streak + 1 if covered else 1
        state.freezes -= used
        if state.streak % FREEZE_EVERY_DAYS == 0:
            state.freezes = min(FREEZES_MAX, state.freezes + 1)
    seconds = (state.today_seconds or 0) + answer.seconds
    goal_met = not state.goal_met and seconds >= state.goal_minutes * 60
    days.append(_day(state.today, answered=1, seconds=answer.seconds, goal_met=goal_met))
    if goal_met:
        ledger.append(
            _entry(XP_DAILY_GOAL, XPSource.DAILY_GOAL_MET, "Daily goal met", {"day": state.today.isoformat()})
        )
    state.today_seconds, state.goal_met = seconds, state.goal_met or goal_met

    facts = AnswerFacts(
        is_correct=answer.is_correct, seconds=answer.seconds, local_hour=state.hour, topic=answer.topic,
        topic_answered=topic_answered, topic_mastery=topic_mastery, streak_days=state.streak,
    )  # fmt: skip
    progress, unlocked, left = [], [], []
    for achievement in state.catalogue:
        measure, done = evaluate(achievement["conditions"], achievement["progress"], facts)
        if measure != achievement["progress"] or done:
            progress.append({"id": achievement["id"], "progress": measure, "done": done})
        achievement["progress"] = measure
        if not done:
            left.append(achievement)
            continue
        unlocked.append(Unlocked(achievement["code"], achievement["name"], achievement["icon"], achievement["xp"]))
        if achievement["xp"]:
            ledger.append(_entry(achievement["xp"], XPSource.ACHIEVEMENT_UNLOCK, f"Achievement: {achievement['name']}",
                                 {"achievement": achievement["code"]}))  # fmt: skip
    state.catalogue = left
    for entry in ledger:  # the block it was earned in, for the block's summary
        entry["metadata"]["session"] = str(answer.session_id) if answer.session_id else None
    state.xp += sum(e["amount"] for e in ledger)
    return Decision(ledger, days, progress, unlocked, first_today, used, goal_met, seconds)


def answer_reward(
    *, answer: RecordedAnswer, topic_answered: int, topic_mastery: float, milestones: Sequence[str] = ()
) -> RewardOutcome:
    """XP for the answer, today as a study day (the streak, a freeze over a missed day, the daily
    goal), every achievement the answer completes, each unlocked once with its XP, and the
    learning-path milestones it reached (`milestones`: their topics)."""
    with connection.cursor() as cursor:
        cursor.execute(STATE_READ, {"user": answer.user_id, "now": answer.answered_at})
        (xp, level, streak, freezes, goal_minutes, today, hour, today_seconds, goal_met, last_day,
         catalogue) = cursor.fetchone()  # fmt: skip
        state = StudentState(
            xp=xp, streak=streak, freezes=freezes, goal_minutes=goal_minutes, today=today, hour=hour,
            today_seconds=today_seconds, goal_met=bool(goal_met), last_day=last_day,
            catalogue=json.loads(catalogue) if isinstance(catalogue, str) else catalogue,  # Django reads jsonb as text
        )  # fmt: skip
        decision = reward_decide(
            state, answer, topic_answered=topic_answered, topic_mastery=topic_mastery, milestones=milestones
        )
        gained = state.xp - xp
        cursor.execute(
            REWARD_WRITE,
            {
                "user": answer.user_id, "now": answer.answered_at, "ledger": json.dumps(decision.ledger),
                "days": json.dumps(decision.days), "achievements": json.dumps(decision.progress), "gained": gained,
                "level": level_for(state.xp), "streak": state.streak, "freezes": state.freezes,
            },
        )  # fmt: skip
    _after_commit(answer.user_id, gained, answer.answered_at)
    return RewardOutcome(
        xp_gained=gained, xp=state.xp, level=level_for(state.xp), level_up=level_for(state.xp) > level,
        streak=state.streak, streak_extended=decision.streak_extended, freezes_used=decision.freezes_used,
        goal_met=decision.goal_met, goal_seconds=decision.seconds, goal_target_seconds=goal_minutes * 60,
        achievements=decision.unlocked, milestones=list(milestones),
    )  # fmt: skip


def _entry(amount: int, source: str, description: str, metadata: dict) -> dict:
    return {"amount": amount, "source": str(source), "description": description, "metadata": metadata}


def _day(day: datetime.date, *, frozen: bool = False, answered: int = 0, seconds: int = 0, goal_met=False) -> dict:
    return {"day": day.isoformat(), "frozen": frozen, "answered": answered, "seconds": seconds, "goal_met": goal_met}


def _after_commit(user_id, gained: int, at: datetime.datetime | None) -> None:
    def refresh() -> None:
        stats_invalidate(user_id)
        if gained:
            leaderboard_add(user_id=user_id, amount=gained, at=at)

    transaction.on_commit(refresh)


def leaderboard_add(*, user_id, amount: int, at: datetime.datetime | None) -> None:
    """Add XP to the week's sorted set; a Redis outage costs the increment, which the rebuild
    from the ledger restores (gamification/selectors.py `leaderboard`)."""
    try:
        key = cache.make_key(leaderboard_key(week_of(at or timezone.now())))
        redis = get_redis_connection("default")
        if redis.exists(key):  # absent: the next read rebuilds it from the ledger, this answer included
            redis.zincrby(key, amount, str(user_id))
    except Exception:  # noqa: BLE001 - the ledger is the truth; the set is a cache of it
        pass


def week_of(at: datetime.datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


# --- Recompute ----------------------------------------------------------------------------------

DERIVED_SOURCES = (XPSource.QUESTION_ANSWERED, XPSource.REVIEW_COMPLETE, XPSource.DAILY_GOAL_MET,
                   XPSource.ACHIEVEMENT_UNLOCK)  # fmt: skip


def rewards_recompute(*, user_ids, completed_reviews=frozenset()) -> int:
    """Rebuild what answers earned from the attempts alone, by the rules of the answer path
    (`reward_decide`), for bulk data (seed_demo) and repairs (`manage.py recompute_progress`):
    the ledger rows of answers, goals, reviews and achievements, the study days, the
    achievements, and the totals on each student's row. `completed_reviews`: the review blocks
    whose every question was answered (practice knows; the last answer of each earns the XP).
    One transaction per student, as `system`; safe to run twice. Returns the students done."""
    with rls_context(role=ROLE_SYSTEM):
        catalogue = [
            {"id": str(a.pk), "code": a.code, "name": a.name, "icon": a.icon or "", "xp": a.xp_reward,
             "conditions": a.unlock_conditions, "progress": 0}
            for a in Achievement.objects.filter(is_active=True).order_by("code")
        ]  # fmt: skip
        users = list(User.objects.filter(pk__in=list(user_ids)))
    completed = {str(s) for s in completed_reviews}
    for user in users:
        with rls_context(role=ROLE_SYSTEM):
            attempts = list(
                UserQuestionAttempt.objects.filter(user=user)
                .order_by("answered_at", "id")
                .values_list("question_id", "question__topic", "question__difficulty", "selected_index", "is_correct",
                             "confidence_rating", "time_taken_seconds", "answered_at", "attempt_type", "session_id")
            )  # fmt: skip
            _rewards_replay(user, attempts, [dict(a) for a in catalogue], completed)
    return len(users)


def _rewards_replay(user, attempts, catalogue, completed: set[str]) -> None:
    zone = zoneinfo.ZoneInfo(user.time_zone)
    last_of_session = {str(a[9]): i for i, a in enumerate(attempts) if a[9]}
    state = StudentState(xp=0, streak=0, freezes=0, goal_minutes=user.daily_goal_minutes, today=datetime.date.min,
                         hour=0, today_seconds=None, goal_met=False, last_day=None, catalogue=catalogue)  # fmt: skip
    topics: dict[str, list[int]] = {}
    ledger, days, progress, unlocked_at, max_streak = [], {}, {}, {}, 0
    for i, (question, topic, difficulty, selected, correct, confidence, seconds, at, kind, session) in enumerate(
        attempts
    ):
        local = at.astimezone(zone)
        if local.date() != state.today:
            state.last_day = state.today if state.today_seconds is not None else state.last_day
            state.today, state.today_seconds, state.goal_met = local.date(), None, False
        state.hour = local.hour
        counts = topics.setdefault(topic, [0, 0])
        counts[0] += 1
        counts[1] += correct
        answer = RecordedAnswer(
            user_id=user.pk, question_id=question, topic=topic, difficulty=difficulty, selected_index=selected,
            is_correct=correct, confidence=confidence, seconds=seconds, answered_at=at, attempt_type=kind,
            session_id=session, completes_review=bool(session) and str(session) in completed
            and last_of_session[str(session)] == i,
        )  # fmt: skip
        decision = reward_decide(state, answer, topic_answered=counts[0], topic_mastery=100 * counts[1] / counts[0])
        ledger += [{**entry, "at": at.isoformat()} for entry in decision.ledger]
        for day in decision.days:
            old = days.setdefault(day["day"], {**day, "answered": 0, "seconds": 0, "goal_met": False})
            old["answered"] += day["answered"]
            old["seconds"] += day["seconds"]
            old["goal_met"] = old["goal_met"] or day["goal_met"]
        for row in decision.progress:
            progress[row["id"]] = row
            if row["done"]:
                unlocked_at[row["id"]] = at.isoformat()
        max_streak = max(max_streak, state.streak)
    with connection.cursor() as cursor:
        # The old rows go in a statement of their own (a CTE's DELETE and INSERT see one snapshot);
        # the XP of other sources (milestones, corrections) stays and is counted.
        cursor.execute(
            """
            WITH ledger AS (DELETE FROM xp_transactions WHERE user_id = %(user)s AND source = ANY(%(sources)s)),
            days AS (DELETE FROM user_streaks WHERE user_id = %(user)s),
            unlocks AS (DELETE FROM user_achievements WHERE user_id = %(user)s)
            SELECT coalesce(sum(amount), 0) FROM xp_transactions
            WHERE user_id = %(user)s AND NOT source = ANY(%(sources)s)
            """,
            {"user": user.pk, "sources": [str(s) for s in DERIVED_SOURCES]},
        )
        (other,) = cursor.fetchone()
        cursor.execute(
            REWARD_ROWS
            + """
            UPDATE users SET xp = %(xp)s, level = %(level)s, current_streak = %(streak)s, max_streak = %(max)s,
                   streak_freezes = %(freezes)s, last_study_date = %(last)s
            WHERE id = %(user)s
            """,
            {
                "user": user.pk, "now": timezone.now(), "ledger": json.dumps(ledger),
                "days": json.dumps(list(days.values())),
                "achievements": json.dumps([{**row, "at": unlocked_at.get(row["id"])} for row in progress.values()]),
                "xp": state.xp + other, "level": level_for(state.xp + other), "streak": state.streak,
                "max": max_streak, "freezes": state.freezes, "last": attempts[-1][7] if attempts else None,
            },
        )  # fmt: skip
    transaction.on_commit(lambda: stats_invalidate(user.pk))
