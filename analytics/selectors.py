"""Reads for the progress page: past days from the nightly tables (performance_metrics,
retention_analytics), today live from the attempts, in the student's time zone."""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.db import connection, models
from django.utils import timezone

from analytics.models import PerformanceMetric, RetentionAnalytic, UserStats
from studyin.rls import ROLE_SYSTEM, rls_context

RANGES = {"7": 7, "30": 30, "90": 90, "all": None}  # studyin.cache.PROGRESS_RANGES names them too
EXAM_SECONDS_PER_QUESTION = 90  # NBME pacing
PEERS_MIN_ANSWERS = 5  # a peer counts for a topic's percentile from this many answers on it
CALENDAR_WEEKS = 26


@dataclass
class Day:
    attempted: int = 0
    correct: int = 0
    seconds: float = 0.0  # total time on the day's questions
    xp: int = 0
    reviewed: int = 0
    recalled: int = 0
    topics: dict = field(default_factory=dict)  # topic: [attempted, correct]
    systems: dict = field(default_factory=dict)  # organ system: [attempted, correct]


@dataclass
class Progress:
    first: datetime.date
    today: datetime.date
    days: dict[datetime.date, Day]
    hours: list[int]  # answers by local hour of day, 0-23
    percentiles: list[tuple[str, float, int]]  # (topic, percentile among peers, peers)
    calendar: list[tuple[datetime.date, int]]  # (day, answered), the last CALENDAR_WEEKS weeks
    target_retention: float | None
    stats: UserStats | None

    @property
    def total(self) -> Day:
        total = Day()
        for day in self.days.values():
            total.attempted += day.attempted
            total.correct += day.correct
            total.seconds += day.seconds
            total.xp += day.xp
            total.reviewed += day.reviewed
            total.recalled += day.recalled
        return total


def local_today(user, now: datetime.datetime) -> datetime.date:
    return now.astimezone(zoneinfo.ZoneInfo(user.time_zone)).date()


def progress_for(*, user, days: int | None, now: datetime.datetime | None = None) -> Progress:
    now = now or timezone.now()
    today = local_today(user, now)
    first = today - datetime.timedelta(days=days - 1) if days else _first_day(user, today)
    by_day: dict[datetime.date, Day] = {
        first + datetime.timedelta(days=i): Day() for i in range((today - first).days + 1)
    }
    for m in PerformanceMetric.objects.filter(user=user, metric_date__gte=first, metric_date__lt=today,
                                              created_at__gte=_midnight(first)):  # fmt: skip
        _add(by_day[m.metric_date], m.topic, m.questions_attempted, round((m.accuracy_rate or 0) * m.questions_attempted),
             (m.avg_time_per_question or 0) * m.questions_attempted, m.xp_earned,
             m.detailed_metrics.get("organ_systems", {}))  # fmt: skip
    for r in RetentionAnalytic.objects.filter(user=user, retention_date__gte=first, retention_date__lt=today,
                                              created_at__gte=_midnight(first)):  # fmt: skip
        by_day[r.retention_date].reviewed += r.cards_reviewed
        by_day[r.retention_date].recalled += r.cards_correct
    _today_live(user, today, by_day[today])
    return Progress(
        first=first, today=today, days=by_day, hours=_hours(user, first), percentiles=_percentiles(user),
        calendar=_calendar(user, today), target_retention=user.desired_retention if user.scheduler == "fsrs" else None,
        stats=UserStats.objects.filter(user=user).first(),
    )  # fmt: skip


def _midnight(day: datetime.date) -> datetime.datetime:
    # Nightly rows carry their day's midnight (UTC) as created_at: the partitions to scan.
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def _add(day: Day, topic, attempted: int, correct: int, seconds: float, xp: int, systems: dict) -> None:
    day.attempted += attempted
    day.correct += correct
    day.seconds += seconds
    day.xp += xp
    _count(day.topics, topic or "General", attempted, correct)
    for system, (n, c) in systems.items():
        _count(day.systems, system, n, c)


def _count(counts: dict, key: str, attempted: int, correct: int) -> None:
    pair = counts.setdefault(key, [0, 0])
    pair[0] += attempted
    pair[1] += correct


def _first_day(user, today: datetime.date) -> datetime.date:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(answered_at) FROM user_question_attempts WHERE user_id = %s", [user.pk])
        (first,) = cursor.fetchone()
    if first is None:
        return today
    return max(first.astimezone(zoneinfo.ZoneInfo(user.time_zone)).date(), today - datetime.timedelta(days=3650))


def _today_live(user, today: datetime.date, day: Day) -> None:
    """Today's answers, reviews and XP, not yet in the nightly tables."""
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=zoneinfo.ZoneInfo(user.time_zone))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT q.topic, q.organ_system, count(*), count(*) FILTER (WHERE a.is_correct),
                   coalesce(sum(a.time_taken_seconds), 0),
                   count(*) FILTER (WHERE p.seen), count(*) FILTER (WHERE p.seen AND a.is_correct)
            FROM user_question_attempts a
            JOIN questions q ON q.id = a.question_id
            CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM user_question_attempts e WHERE e.user_id = a.user_id
                                AND e.question_id = a.question_id AND e.answered_at < a.answered_at) AS seen) p
            WHERE a.user_id = %s AND a.answered_at >= %s
            GROUP BY q.topic, q.organ_system
            """,
            [user.pk, start],
        )
        for topic, system, attempted, correct, seconds, reviewed, recalled in cursor.fetchall():
            _add(day, topic, attempted, correct, seconds, 0, {system: [attempted, correct]} if system else {})
            day.reviewed += reviewed
            day.recalled += recalled
        cursor.execute("SELECT coalesce(sum(amount), 0) FROM xp_transactions WHERE user_id = %s AND created_at >= %s",
                       [user.pk, start])  # fmt: skip
        day.xp = cursor.fetchone()[0]


def _hours(user, first: datetime.date) -> list[int]:
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=zoneinfo.ZoneInfo(user.time_zone))
    hours = [0] * 24
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(hour FROM answered_at AT TIME ZONE %s)::int, count(*) FROM user_question_attempts "
            "WHERE user_id = %s AND answered_at >= %s GROUP BY 1",
            [user.time_zone, user.pk, start],
        )
        for hour, count in cursor.fetchall():
            hours[hour] = count
    return hours


def _calendar(user, today: datetime.date) -> list[tuple[datetime.date, int]]:
    first = today - datetime.timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))  # a Monday
    studied = dict(user.streak_days.filter(streak_date__gte=first).values_list("streak_date", "questions_answered"))
    return [(first + datetime.timedelta(days=i), studied.get(first + datetime.timedelta(days=i), 0))
            for i in range((today - first).days + 1)]  # fmt: skip


def _percentiles(user) -> list[tuple[str, float, int]]:
    """The student's mastery of each topic as a percentile among the peers who answered it
    (PEERS_MIN_ANSWERS or more). Peers' rows are read as `system`, and only the percentile comes
    out: no other student's row reaches the page."""
    with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT mine.topic, 100.0 * count(*) FILTER (WHERE peer.mastery_percentage < mine.mastery_percentage)
                                 / nullif(count(*), 0), count(*)
            FROM mastery_levels mine
            JOIN mastery_levels peer ON peer.topic = mine.topic AND peer.user_id <> mine.user_id
                                    AND peer.questions_answered >= %(min)s
            WHERE mine.user_id = %(user)s AND mine.questions_answered >= %(min)s
            GROUP BY mine.topic ORDER BY mine.topic
            """,
            {"user": user.pk, "min": PEERS_MIN_ANSWERS},
        )
        return [(topic, float(p), n) for topic, p, n in cursor.fetchall() if p is not None]


# --- Staff: the admin index's numbers (read in the admin's `staff` context) ---------------------

STAFF_DAYS = 14


@dataclass
class StaffDay:
    day: datetime.date
    active_students: int = 0
    answers: int = 0
    materials_processed: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0

    @property
    def failure_rate(self) -> float | None:
        finished = self.jobs_done + self.jobs_failed
        return round(100 * self.jobs_failed / finished, 1) if finished else None


def staff_overview(*, days: int = STAFF_DAYS, now: datetime.datetime | None = None) -> dict:
    """Daily active students, answers, materials processed and the job failure rate of the last
    `days` days (UTC), and the moderation queues now."""
    from questions.admin import QUEUES  # the queues' one definition
    from questions.models import FlagStatus, Question, QuestionFlag

    today = (now or timezone.now()).astimezone(datetime.UTC).date()
    start = datetime.datetime.combine(today - datetime.timedelta(days=days - 1), datetime.time(), tzinfo=datetime.UTC)
    rows = {today - datetime.timedelta(days=i): StaffDay(today - datetime.timedelta(days=i)) for i in range(days)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (answered_at AT TIME ZONE 'UTC')::date, count(DISTINCT user_id), count(*) "
            "FROM user_question_attempts WHERE answered_at >= %s GROUP BY 1", [start]
        )  # fmt: skip
        for day, active, answers in cursor.fetchall():
            rows[day].active_students, rows[day].answers = active, answers
        cursor.execute(
            "SELECT (processed_at AT TIME ZONE 'UTC')::date, count(*) FROM materials "
            "WHERE processed_at >= %s AND processing_status = 'completed' GROUP BY 1", [start]
        )  # fmt: skip
        for day, processed in cursor.fetchall():
            rows[day].materials_processed = processed
        cursor.execute(
            "SELECT (coalesce(completed_at, started_at, created_at) AT TIME ZONE 'UTC')::date, "
            "count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed') "
            "FROM material_processing_jobs WHERE status IN ('completed', 'failed') "
            "AND coalesce(completed_at, started_at, created_at) >= %s GROUP BY 1", [start]
        )  # fmt: skip
        for day, done, failed in cursor.fetchall():
            rows[day].jobs_done, rows[day].jobs_failed = done, failed
    queues = Question.objects.aggregate(**{key: models.Count("pk", filter=q) for key, (_, q) in QUEUES.items()})
    queues["open_flags"] = QuestionFlag.objects.filter(status=FlagStatus.OPEN).count()
    return {"days": sorted(rows.values(), key=lambda r: r.day), "queues": queues,
            "queue_labels": {key: label for key, (label, _) in QUEUES.items()} | {"open_flags": "Open flags"}}  # fmt: skip
