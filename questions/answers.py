"""An answer to a question, once recorded: the attempt row and the question's peer counters
(both this app's tables), and the small value the answer path hands to the apps after it
(practice/services.py `answer_submit`)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class RecordedAnswer:
    """One recorded answer, as the services after it (progress, gamification) need it."""

    user_id: uuid.UUID
    question_id: uuid.UUID
    topic: str
    difficulty: str
    selected_index: int
    is_correct: bool
    confidence: int | None  # 1-5, or None when the student gave none
    seconds: int  # time on the question
    answered_at: datetime.datetime
    attempt_type: str  # practice, review, test
    session_id: uuid.UUID | None
    completes_review: bool = False  # the last unanswered question of a review block


# One statement: the attempt, and the question's counters incremented in SQL (never
# read-modify-written in Python, so concurrent answers of many students lose no count).
ATTEMPT_RECORD = """
WITH attempt AS (
    INSERT INTO user_question_attempts (id, user_id, question_id, selected_index, is_correct, confidence_rating,
                                        time_taken_seconds, attempt_type, session_id, answered_at)
    VALUES (gen_random_uuid(), %(user)s, %(question)s, %(selected)s, %(is_correct)s, %(confidence)s, %(seconds)s,
            %(attempt_type)s, %(session)s, %(now)s)
)
UPDATE questions SET times_answered = times_answered + 1, times_correct = times_correct + %(correct)s,
       answer_counts = studyin_count_answer(answer_counts, %(slot)s)
WHERE id = %(question)s
"""


def attempt_record(*, answer: RecordedAnswer) -> None:
    """Store the attempt (the review history of every scheduler) and count it on the question."""
    with connection.cursor() as cursor:
        cursor.execute(
            ATTEMPT_RECORD,
            {
                "user": answer.user_id, "question": answer.question_id, "selected": answer.selected_index,
                "slot": answer.selected_index + 1, "is_correct": answer.is_correct, "correct": int(answer.is_correct),
                "confidence": answer.confidence, "seconds": answer.seconds, "attempt_type": answer.attempt_type,
                "session": answer.session_id, "now": answer.answered_at,
            },
        )  # fmt: skip
