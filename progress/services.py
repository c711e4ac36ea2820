"""Writes for progress: a student's progress on each question, mastery of each topic, and the
review card of every answered question (progress/scheduling.py schedules it).

`answer_progress_record` is a step of the answer path (practice/services.py `answer_submit`):
it runs inside that transaction, two statements, and raises nothing of its own.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from progress.models import SM2ReviewCard
from progress.scheduling import CardState, grade_for, review
from questions.answers import RecordedAnswer
from studyin.cache import stats_invalidate
from studyin.rls import ROLE_SYSTEM, rls_context

# Proficiency from the topic's totals: novice until 10 answers, then by accuracy.
PROFICIENCY_SQL = """CASE WHEN {n} < 10 THEN 'novice' WHEN {c} * 100 < {n} * 50 THEN 'beginner'
    WHEN {c} * 100 < {n} * 70 THEN 'intermediate' WHEN {c} * 100 < {n} * 85 THEN 'advanced' ELSE 'expert' END"""


def proficiency_for(*, answered: int, correct: int) -> str:
    """The rule of PROFICIENCY_SQL, in Python (for pages and tests)."""
    if answered < 10:
        return "novice"
    for level, cutoff in (("beginner", 50), ("intermediate", 70), ("advanced", 85)):
        if correct * 100 < answered * cutoff:
            return level
    return "expert"


CARD_COLUMNS = (
    "repetition_count", "easiness_factor", "interval_days", "state", "step", "stability", "difficulty", "due",
    "last_reviewed_at", "lapses", "is_suspended",
)  # fmt: skip

# One statement: the question's progress and the topic's mastery (upserts, counters in SQL),
# then what scheduling needs: the student's scheduler and the question's card, if any.
PROGRESS_RECORD = f"""
WITH progress AS (
    INSERT INTO user_progress (id, user_id, question_id, total_attempts, correct_attempts, avg_confidence,
                               avg_time_seconds, last_attempt_at, created_at, updated_at)
    VALUES (gen_random_uuid(), %(user)s, %(question)s, 1, %(correct)s, %(confidence)s, %(seconds)s, %(now)s, %(now)s,
            %(now)s)
    ON CONFLICT (user_id, question_id) DO UPDATE SET
        total_attempts = user_progress.total_attempts + 1,
        correct_attempts = user_progress.correct_attempts + EXCLUDED.correct_attempts,
        avg_confidence = coalesce(
            (user_progress.avg_confidence * user_progress.total_attempts + EXCLUDED.avg_confidence)
                / (user_progress.total_attempts + 1),
            user_progress.avg_confidence, EXCLUDED.avg_confidence),
        avg_time_seconds = (coalesce(user_progress.avg_time_seconds, 0) * user_progress.total_attempts
                            + EXCLUDED.avg_time_seconds) / (user_progress.total_attempts + 1),
        last_attempt_at = EXCLUDED.last_attempt_at,
        updated_at = EXCLUDED.updated_at
), mastery AS (
    INSERT INTO mastery_levels (id, user_id, topic, questions_answered, questions_correct, proficiency_level,
                                last_updated)
    VALUES (gen_random_uuid(), %(user)s, %(topic)s, 1, %(correct)s, 'novice', %(now)s)
    ON CONFLICT (user_id, topic) DO UPDATE SET
        questions_answered = mastery_levels.questions_answered + 1,
        questions_correct = mastery_levels.questions_correct + EXCLUDED.questions_correct,
        proficiency_level = {PROFICIENCY_SQL.format(n="(mastery_levels.questions_answered + 1)",
                                                 c="(mastery_levels.questions_correct + EXCLUDED.questions_correct)")},
        last_updated = EXCLUDED.last_updated
    RETURNING questions_answered, mastery_percentage
)
SELECT m.questions_answered, m.mastery_percentage, u.scheduler, u.desired_retention, c.id,
       {", ".join(f"c.{column}" for column in CARD_COLUMNS)}
FROM mastery m CROSS JOIN users u
LEFT JOIN sm2_review_cards c ON c.user_id = u.id AND c.question_id = %(question)s
WHERE u.id = %(user)s
"""  # fmt: skip

CARD_WRITE = f"""
INSERT INTO sm2_review_cards (id, user_id, question_id, next_review_date, created_at, updated_at,
                              {", ".join(CARD_COLUMNS)})
VALUES (%(id)s, %(user)s, %(question)s, %(next_review_date)s, %(now)s, %(now)s,
        {", ".join(f"%({column})s" for column in CARD_COLUMNS)})
ON CONFLICT (user_id, question_id) DO UPDATE SET next_review_date = EXCLUDED.next_review_date,
    updated_at = EXCLUDED.updated_at, {", ".join(f"{column} = EXCLUDED.{column}" for column in CARD_COLUMNS)}
"""


@dataclass(frozen=True)
class ProgressOutcome:
    topic_answered: int  # the student's answers in the question's topic, this one included
    mastery_percentage: float  # of that topic, after this answer
    next_review: datetime.datetime  # when the card is due
    interval_days: int
    became_leech: bool  # this answer suspended the card


def answer_progress_record(*, answer: RecordedAnswer) -> ProgressOutcome:
    """The question's progress, the topic's mastery and the question's review card after `answer`.

    The card is read and written in the answer's transaction; the answer path holds the
    student's row locked, so two answers of one student never schedule from the same state."""
    params = {
        "user": answer.user_id, "question": answer.question_id, "topic": answer.topic,
        "correct": int(answer.is_correct), "confidence": answer.confidence, "seconds": answer.seconds,
        "now": answer.answered_at,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(PROGRESS_RECORD, params)
        answered, mastery, scheduler, retention, card_id, *columns = cursor.fetchone()
        before = CardState(**dict(zip(CARD_COLUMNS, columns, strict=True))) if card_id else CardState()
        card_id = card_id or uuid.uuid4()
        grade = grade_for(is_correct=answer.is_correct, confidence=answer.confidence)
        after = review(
            before, grade, answer.answered_at, scheduler=scheduler, card_id=card_id, desired_retention=retention
        )
        cursor.execute(CARD_WRITE, {**params, "id": card_id, "next_review_date": after.due.date(), **after.__dict__})
    _cards_changed(answer.user_id)
    return ProgressOutcome(
        topic_answered=answered,
        mastery_percentage=mastery,
        next_review=after.due,
        interval_days=after.interval_days,
        became_leech=after.is_suspended and not before.is_suspended,
    )


def _cards_changed(user_id) -> None:
    """Once committed, the student's due count and dashboard numbers are read afresh."""
    transaction.on_commit(lambda: stats_invalidate(user_id, due_reviews=True))


def card_unsuspend(*, user, card_id) -> bool:
    """Take a leech back into the reviews, due now."""
    changed = SM2ReviewCard.objects.filter(pk=card_id, user=user, is_suspended=True).update(
        is_suspended=False, due=timezone.now()
    )
    if changed:
        _cards_changed(user.pk)
    return bool(changed)


# --- Recompute ----------------------------------------------------------------------------------

PROGRESS_DERIVE = """
WITH derived AS (
    SELECT user_id, question_id, count(*)::int AS total, (count(*) FILTER (WHERE is_correct))::int AS correct,
           avg(confidence_rating)::float AS confidence, avg(time_taken_seconds)::float AS seconds,
           min(answered_at) AS first_at, max(answered_at) AS last_at
    FROM user_question_attempts
    WHERE user_id = ANY(%s)
    GROUP BY user_id, question_id
)
INSERT INTO user_progress AS p (id, user_id, question_id, total_attempts, correct_attempts,
                                avg_confidence, avg_time_seconds, last_attempt_at, created_at, updated_at)
SELECT gen_random_uuid(), d.user_id, d.question_id, d.total, d.correct, d.confidence, d.seconds,
       d.last_at, d.first_at, d.last_at
FROM derived d
LEFT JOIN user_progress old ON old.user_id = d.user_id AND old.question_id = d.question_id
WHERE (old.total_attempts, old.correct_attempts, old.avg_confidence, old.avg_time_seconds,
       old.last_attempt_at) IS DISTINCT FROM (d.total, d.correct, d.confidence, d.seconds, d.last_at)
ON CONFLICT (user_id, question_id) DO UPDATE SET
    total_attempts = EXCLUDED.total_attempts,
    correct_attempts = EXCLUDED.correct_attempts,
    avg_confidence = EXCLUDED.avg_confidence,
    avg_time_seconds = EXCLUDED.avg_time_seconds,
    last_attempt_at = EXCLUDED.last_attempt_at,
    updated_at = EXCLUDED.updated_at
"""
MASTERY_DERIVE = f"""
WITH derived AS (
    SELECT a.user_id, q.topic, count(*)::int AS answered,
           (count(*) FILTER (WHERE a.is_correct))::int AS correct,
           {PROFICIENCY_SQL.format(n="count(*)", c="count(*) FILTER (WHERE a.is_correct)")} AS level,
           max(a.answered_at) AS last_at
    FROM user_question_attempts a
    JOIN questions q ON q.id = a.question_id
    WHERE a.user_id = ANY(%s)
    GROUP BY a.user_id, q.topic
)
INSERT INTO mastery_levels AS m (id, user_id, topic, questions_answered, questions_correct,
                                 proficiency_level, last_updated)
SELECT gen_random_uuid(), d.user_id, d.topic, d.answered, d.correct, d.level, d.last_at
FROM derived d
LEFT JOIN mastery_levels old ON old.user_id = d.user_id AND old.topic = d.topic
WHERE (old.questions_answered, old.questions_correct, old.proficiency_level)
    IS DISTINCT FROM (d.answered, d.correct, d.level)
ON CONFLICT (user_id, topic) DO UPDATE SET
    questions_answered = EXCLUDED.questions_answered,
    questions_correct = EXCLUDED.questions_correct,
    proficiency_level = EXCLUDED.proficiency_level,
    last_updated = EXCLUDED.last_updated
"""


def progress_recompute(*, user_ids) -> int:
    """Rebuild each student's progress per question, mastery per topic and review cards from
    their attempts alone (the answer path keeps them one answer at a time; this is the same
    definition in bulk), for seed_demo and `manage.py recompute_progress`. Progress and mastery
    are aggregated in SQL, and only rows that disagree are written (so a second run writes
    nothing); each card replays its history through the student's scheduler, keeping the card's
    id (FSRS's card id). As `system`; safe to run twice. Returns the cards written."""
    user_ids = list(user_ids)
    written = 0
    with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(PROGRESS_DERIVE, [user_ids])
        cursor.execute(MASTERY_DERIVE, [user_ids])
        cursor.execute("SELECT id, scheduler, desired_retention FROM users WHERE id = ANY(%s)", [user_ids])
        settings = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT user_id, question_id, id FROM sm2_review_cards WHERE user_id = ANY(%s)", [user_ids])
        ids = {(u, q): c for u, q, c in cursor.fetchall()}
        cursor.execute(
            """
            SELECT user_id, question_id, is_correct, confidence_rating, answered_at FROM user_question_attempts
            WHERE user_id = ANY(%s) ORDER BY user_id, question_id, answered_at, id
            """,
            [user_ids],
        )
        rows, card, key, now = [], None, None, timezone.now()
        for user_id, question_id, correct, confidence, at in cursor.fetchall():
            if (user_id, question_id) != key:
                if key is not None:
                    rows.append(_card_row(key, ids, card, now))
                key, card = (user_id, question_id), CardState()
            scheduler, retention = settings[user_id]
            card = review(card, grade_for(is_correct=correct, confidence=confidence), at, scheduler=scheduler,
                          card_id=ids.setdefault(key, uuid.uuid4()), desired_retention=retention)  # fmt: skip
        if key is not None:
            rows.append(_card_row(key, ids, card, now))
        cursor.executemany(CARD_WRITE, rows)
        written = len(rows)
    for user_id in user_ids:
        _cards_changed(user_id)
    return written


def _card_row(key, ids, card: CardState, now) -> dict:
    user_id, question_id = key
    return {"id": ids[key], "user": user_id, "question": question_id, "now": now,
            "next_review_date": card.due.date(), **card.__dict__}  # fmt: skip
