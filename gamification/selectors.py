"""Reads for gamification: the level's progress, today's goal, the streak as it stands, the
achievements, the weekly leaderboard."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max, Sum
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.models import User
from gamification.models import Achievement, UserAchievement, UserStreak, XPTransaction
from gamification.services import level_for, week_of, xp_for_level
from studyin.cache import leaderboard_key
from studyin.rls import ROLE_SYSTEM, rls_context

LEADERBOARD_SIZE = 10
LEADERBOARD_TTL = 8 * 24 * 3600  # a week's set outlives its week by a day


def local_today(user: User, now: datetime.datetime | None = None) -> datetime.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(user.time_zone)).date()


@dataclass(frozen=True)
class LevelProgress:
    level: int
    xp: int
    floor: int  # XP at which this level began
    next: int  # XP the next level needs

    @property
    def percent(self) -> int:
        return round(100 * (self.xp - self.floor) / max(1, self.next - self.floor))

    @property
    def to_go(self) -> int:
        return self.next - self.xp


def level_progress(xp: int) -> LevelProgress:
    level = level_for(xp)
    return LevelProgress(level=level, xp=xp, floor=xp_for_level(level), next=xp_for_level(level + 1))


@dataclass(frozen=True)
class Today:
    seconds: int
    goal_seconds: int
    answered: int
    goal_met: bool

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.seconds / max(1, self.goal_seconds)))

    @property
    def minutes(self) -> int:
        return self.seconds // 60


def today_for(user: User) -> Today:
    row = UserStreak.objects.filter(user=user, streak_date=local_today(user)).first()
    return Today(
        seconds=row.study_seconds if row else 0,
        goal_seconds=user.daily_goal_minutes * 60,
        answered=row.questions_answered if row else 0,
        goal_met=bool(row and row.goal_met),
    )


def streak_now(user: User) -> int:
    """The streak as it stands today: the stored one while the last study day is today or
    yesterday, or the days since are few enough for the freezes held to cover; else broken."""
    last = UserStreak.objects.filter(user=user).aggregate(last=Max("streak_date"))["last"]
    if last is None:
        return 0
    missed = (local_today(user) - last).days - 1
    return user.current_streak if missed <= user.streak_freezes else 0


@dataclass(frozen=True)
class AchievementView:
    achievement: Achievement
    progress: int
    unlocked_at: datetime.datetime | None


def achievements_for(user: User) -> list[AchievementView]:
    """Every active achievement with the student's progress: the unlocked, newest first, then the rest."""
    mine = {ua.achievement_id: ua for ua in UserAchievement.objects.filter(user=user)}
    views = [
        AchievementView(a, mine[a.pk].progress if a.pk in mine else 0, mine[a.pk].unlocked_at if a.pk in mine else None)
        for a in Achievement.objects.filter(is_active=True).order_by("xp_reward", "code")
    ]
    unlocked = sorted((v for v in views if v.unlocked_at), key=lambda v: v.unlocked_at, reverse=True)
    return unlocked + [v for v in views if not v.unlocked_at]


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    name: str
    xp: int
    me: bool


def leaderboard(*, user: User, now: datetime.datetime | None = None) -> list[LeaderboardRow]:
    """This week's XP of the students who opted in, display names only, from the Redis sorted set
    `studyin:leaderboard:{week}`; rebuilt from the ledger when Redis has lost it. As `system`: it
    reads other students' totals, and shows nothing of them but the names they chose to show."""
    now = now or timezone.now()
    week = week_of(now)
    key = cache.make_key(leaderboard_key(week))
    with rls_context(role=ROLE_SYSTEM):
        opted_in = User.objects.filter(leaderboard_opt_in=True, is_active=True).values_list("pk", "name")
        shown = {str(pk): name for pk, name in opted_in}
        try:
            redis = get_redis_connection("default")
            if not redis.exists(key):
                _rebuild(redis, key, now)
            top = [(member.decode(), int(score)) for member, score in redis.zrevrange(key, 0, -1, withscores=True)]
        except Exception:  # noqa: BLE001 - Redis down: the ledger answers directly
            top = [(str(uid), total) for uid, total in _week_totals(now)]
    rows = [(uid, xp) for uid, xp in top if xp > 0 and uid in shown][:LEADERBOARD_SIZE]
    return [
        LeaderboardRow(rank=i, name=shown[uid], xp=xp, me=uid == str(user.pk))
        for i, (uid, xp) in enumerate(rows, start=1)
    ]


def _week_totals(now: datetime.datetime) -> list[tuple]:
    year, week, weekday = now.isocalendar()
    start = (now - datetime.timedelta(days=weekday - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        XPTransaction.objects.filter(created_at__gte=start, created_at__lt=start + datetime.timedelta(days=7))
        .values("user_id")
        .annotate(total=Sum("amount"))
        .order_by("-total")
    )
    return [(r["user_id"], r["total"]) for r in rows]


def _rebuild(redis, key: str, now: datetime.datetime) -> None:
    totals = {str(uid): total for uid, total in _week_totals(now)}
    pipe = redis.pipeline()
    pipe.delete(key)
    pipe.zadd(key, totals or {"": 0})  # an empty week still marks the set as built
    pipe.expire(key, LEADERBOARD_TTL)
    pipe.execute()


@dataclass(frozen=True)
class BlockRewards:
    xp: int
    unlocked: list[str]  # achievements unlocked in the block, "icon name"


def block_rewards(*, user: User, session_id) -> BlockRewards:
    """What a practice block earned: the ledger rows its answers wrote."""
    rows = XPTransaction.objects.filter(user=user, metadata__session=str(session_id))
    unlocked = [r.description.removeprefix("Achievement: ") for r in rows if r.source == "achievement_unlock"]
    return BlockRewards(xp=sum(r.amount for r in rows), unlocked=unlocked)
