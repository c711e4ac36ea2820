"""Writes for analytics: a study session when a block ends, and the nightly per-day tables.

- `study_session_record` runs inside the transaction that ends the block (practice's
  `session_finish`), so a block never ends without its row, nor is recorded twice.
- `day_metrics_write(day)` replaces `performance_metrics` and `retention_analytics` of one day,
  for every student, in one transaction: running it again replaces, never doubles. A student's
  day is their own (their profile's time zone), the rows sit in the partition of the day.
- `user_stats_refresh` refreshes `user_stats_mv` concurrently (readers are never blocked).
"""

import datetime

from django.db import connection, transaction

from analytics.models import StudySession


def study_session_record(
    *,
    user_id,
    session_type: str,
    started_at: datetime.datetime,
    ended_at: datetime.datetime,
    duration_seconds: int,
    questions_answered: int,
    xp_earned: int,
    activity: dict,
) -> None:
    StudySession.objects.create(
        user_id=user_id, session_type=session_type, started_at=started_at, ended_at=ended_at,
        duration_seconds=max(0, duration_seconds), questions_answered=questions_answered, xp_earned=max(0, xp_earned),
        activity_data=activity, created_at=ended_at,
    )  # fmt: skip


# The day's answers of every student, by their local day: the attempts of the UTC days around
# it (a time zone is at most 14 hours away), kept when their local date is the day.
_DAY_ATTEMPTS = """
    SELECT a.user_id, a.question_id, a.is_correct, a.time_taken_seconds, a.answered_at, q.topic, q.organ_system,
           EXISTS (SELECT 1 FROM user_question_attempts p WHERE p.user_id = a.user_id
                   AND p.question_id = a.question_id AND p.answered_at < a.answered_at) AS is_review
    FROM user_question_attempts a
    JOIN users u ON u.id = a.user_id
    JOIN questions q ON q.id = a.question_id
    WHERE a.answered_at >= %(day)s::date - 1 AND a.answered_at < %(day)s::date + 2
      AND (a.answered_at AT TIME ZONE u.time_zone)::date = %(day)s::date
"""

# Each part is aggregated before anything is joined to it: the planner cannot estimate rows under
# row-level security, and a join of two large unaggregated sets can become a nested loop.
PERFORMANCE_WRITE = f"""
WITH day AS MATERIALIZED ({_DAY_ATTEMPTS}),
per_topic AS MATERIALIZED (
    SELECT d.user_id, d.topic, count(*) AS attempted, avg(d.is_correct::int)::float AS accuracy,
           avg(d.time_taken_seconds)::float AS seconds, count(*) FILTER (WHERE d.is_correct) AS correct,
           count(*) FILTER (WHERE d.is_review) AS reviews,
           jsonb_agg(DISTINCT extract(hour FROM d.answered_at AT TIME ZONE u.time_zone)::int) AS hours
    FROM day d JOIN users u ON u.id = d.user_id
    GROUP BY d.user_id, d.topic
),
per_system AS MATERIALIZED (  -- organ system: [attempted, correct], per student and topic
    SELECT user_id, topic, jsonb_object_agg(organ_system, jsonb_build_array(n, correct)) AS systems
    FROM (SELECT user_id, topic, organ_system, count(*) AS n, count(*) FILTER (WHERE is_correct) AS correct
          FROM day WHERE organ_system IS NOT NULL GROUP BY user_id, topic, organ_system) s
    GROUP BY user_id, topic
),
ledger AS MATERIALIZED (  -- what the answers of the UTC days around it earned
    SELECT x.user_id, (x.metadata->>'question')::uuid AS question_id, x.amount, x.created_at
    FROM xp_transactions x
    WHERE x.source = 'question_answered' AND x.metadata ? 'question'
      AND x.created_at >= %(day)s::date - 1 AND x.created_at < %(day)s::date + 2
),
xp AS MATERIALIZED (  -- by the question's topic, on the student's day. Joined on plain ids: a join
    -- on an expression (metadata->>'question') could not use the index under row-level security.
    SELECT l.user_id, q.topic, sum(l.amount) AS xp
    FROM ledger l
    JOIN users u ON u.id = l.user_id
    JOIN questions q ON q.id = l.question_id
    WHERE (l.created_at AT TIME ZONE u.time_zone)::date = %(day)s::date
    GROUP BY l.user_id, q.topic
)
INSERT INTO performance_metrics (id, user_id, metric_date, topic, questions_attempted, accuracy_rate,
                                 avg_time_per_question, xp_earned, detailed_metrics, created_at)
SELECT gen_random_uuid(), p.user_id, %(day)s::date, p.topic, p.attempted, p.accuracy, p.seconds,
       coalesce(xp.xp, 0), jsonb_build_object('correct', p.correct, 'reviews', p.reviews, 'hours', p.hours,
                                              'organ_systems', coalesce(s.systems, '{{}}'::jsonb)),
       %(day)s::date::timestamptz
FROM per_topic p
LEFT JOIN xp ON xp.user_id = p.user_id AND xp.topic = p.topic
LEFT JOIN per_system s ON s.user_id = p.user_id AND s.topic = p.topic
"""

RETENTION_WRITE = f"""
WITH reviews AS MATERIALIZED (SELECT * FROM ({_DAY_ATTEMPTS}) a WHERE is_review),
per_topic AS MATERIALIZED (
    SELECT user_id, topic, count(*) AS n, count(*) FILTER (WHERE is_correct) AS recalled
    FROM reviews GROUP BY user_id, topic
)
INSERT INTO retention_analytics (id, user_id, retention_date, cards_reviewed, cards_correct, retention_rate,
                                 topic_breakdown, created_at)
SELECT gen_random_uuid(), user_id, %(day)s::date, sum(n), sum(recalled), sum(recalled)::float / sum(n),
       jsonb_object_agg(topic, jsonb_build_object('reviewed', n, 'recalled', recalled)), %(day)s::date::timestamptz
FROM per_topic
GROUP BY user_id
"""


def day_metrics_write(*, day: datetime.date) -> dict[str, int]:
    """Replace the day's performance and retention rows of every student (run as `system`).
    Returns the rows written per table."""
    bounds = {"day": day, "start": day, "end": day + datetime.timedelta(days=1)}
    with transaction.atomic(), connection.cursor() as cursor:
        # These run in well under a second; compiling them (JIT, chosen from the estimated cost
        # on large tables) would take longer than running them.
        cursor.execute("SET LOCAL jit = off")
        for table in ("performance_metrics", "retention_analytics"):  # a backfill may reach a month never kept
            cursor.execute("SELECT studyin_create_partition(%s, %s)", [table, day.replace(day=1)])
        # The rows of `day` live in its partition: created_at is the day's midnight (UTC).
        cursor.execute("DELETE FROM performance_metrics WHERE metric_date = %(day)s "
                       "AND created_at >= %(start)s AND created_at < %(end)s", bounds)  # fmt: skip
        cursor.execute("DELETE FROM retention_analytics WHERE retention_date = %(day)s "
                       "AND created_at >= %(start)s AND created_at < %(end)s", bounds)  # fmt: skip
        cursor.execute(PERFORMANCE_WRITE, bounds)
        performance = cursor.rowcount
        cursor.execute(RETENTION_WRITE, bounds)
        retention = cursor.rowcount
    return {"performance_metrics": performance, "retention_analytics": retention}


def user_stats_refresh() -> None:
    with connection.cursor() as cursor:
        cursor.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY user_stats_mv")
