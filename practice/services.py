"""Writes for practice blocks: build, answer, mark, strike out, navigate, pause, resume, finish.

`answer_submit` is the hot path (bench/answer_path.py): one transaction, a fixed handful of
statements, and idempotent, so a double click or a retried request records one attempt.
"""

import datetime
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Extract, Greatest, Least
from django.utils import timezone

from accounts.models import User
from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus, SessionType
from practice.selectors import (
    BLOCK_SIZE_MAX,
    SECONDS_PER_QUESTION,
    BlockFilters,
    block_candidates,
)
from questions.models import AttemptType
from questions.selectors import questions_visible_to
from studyin.cache import user_due_reviews_key, user_stats_key

ATTEMPT_TYPES = {
    SessionType.TUTOR: AttemptType.PRACTICE,
    SessionType.TIMED: AttemptType.PRACTICE,
    SessionType.TEST: AttemptType.TEST,
    SessionType.REVIEW: AttemptType.REVIEW,
}
MAX_SECONDS_PER_ANSWER = 3600


class BlockEmpty(ValueError):
    """No question matches the builder's choices; the message says so, for the form."""


class BlockClosed(ValueError):
    """The block is paused, finished or out of time: nothing can be answered now."""


class OptionMissing(ValueError):
    """The answer names an option the question does not have."""


def block_start(*, user: User, filters: BlockFilters) -> PracticeSession:
    size = max(1, min(filters.size, BLOCK_SIZE_MAX))
    question_ids = list(block_candidates(user=user, filters=filters).order_by("?").values_list("pk", flat=True)[:size])
    if not question_ids:
        raise BlockEmpty("No questions match these choices. Choose more topics, another pool, or all difficulties.")
    return _block_create(user=user, filters=filters, question_ids=question_ids)


def block_start_from_questions(*, user: User, question_ids: list, mode: str = SessionType.TUTOR) -> PracticeSession:
    """A block of these questions, in this order ("Review incorrect" from a summary), keeping
    only those the student may see."""
    visible = set(questions_visible_to(user=user).filter(pk__in=question_ids).values_list("pk", flat=True))
    question_ids = [qid for qid in dict.fromkeys(question_ids) if qid in visible][:BLOCK_SIZE_MAX]
    if not question_ids:
        raise BlockEmpty("There is nothing to review in this block: every question was answered correctly.")
    return _block_create(user=user, filters=BlockFilters(mode=mode, size=len(question_ids)), question_ids=question_ids)


def _block_create(*, user: User, filters: BlockFilters, question_ids: list) -> PracticeSession:
    timed = filters.mode in (SessionType.TIMED, SessionType.TEST)
    with transaction.atomic():
        session = PracticeSession.objects.create(
            user=user,
            session_type=filters.mode,
            settings=filters.as_settings(),
            total_questions=len(question_ids),
            time_limit_seconds=SECONDS_PER_QUESTION * len(question_ids) if timed else None,
            resumed_at=timezone.now(),
        )
        PracticeSessionQuestion.objects.bulk_create(
            PracticeSessionQuestion(session=session, question_id=qid, question_order=order)
            for order, qid in enumerate(question_ids, start=1)
        )
    return session


# --- Answering -------------------------------------------------------------------------------

# One statement each: counters are incremented in SQL, never read-modify-written in Python,
# so concurrent answers from many students never lose a count.
_QUESTION_STATS = """
UPDATE questions SET times_answered = times_answered + 1, times_correct = times_correct + %(correct)s,
       answer_counts = studyin_count_answer(answer_counts, %(slot)s)
WHERE id = %(question)s
"""
_PROGRESS = """
INSERT INTO user_progress (id, user_id, question_id, total_attempts, correct_attempts, avg_confidence,
                           avg_time_seconds, last_attempt_at, created_at, updated_at)
VALUES (gen_random_uuid(), %(user)s, %(question)s, 1, %(correct)s, %(confidence)s, %(seconds)s, %(now)s, %(now)s, %(now)s)
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
"""
# Proficiency from the topic's totals after this answer: novice until 10 answers, then by accuracy.
PROFICIENCY_SQL = """CASE WHEN {n} < 10 THEN 'novice' WHEN {c} * 100 < {n} * 50 THEN 'beginner'
    WHEN {c} * 100 < {n} * 70 THEN 'intermediate' WHEN {c} * 100 < {n} * 85 THEN 'advanced' ELSE 'expert' END"""
_MASTERY = f"""
INSERT INTO mastery_levels (id, user_id, topic, questions_answered, questions_correct, proficiency_level, last_updated)
VALUES (gen_random_uuid(), %(user)s, %(topic)s, 1, %(correct)s, 'novice', %(now)s)
ON CONFLICT (user_id, topic) DO UPDATE SET
    questions_answered = mastery_levels.questions_answered + 1,
    questions_correct = mastery_levels.questions_correct + EXCLUDED.questions_correct,
    proficiency_level = {PROFICIENCY_SQL.format(n="(mastery_levels.questions_answered + 1)",
                                             c="(mastery_levels.questions_correct + EXCLUDED.questions_correct)")},
    last_updated = EXCLUDED.last_updated
"""  # fmt: skip

# Every write of an answer in one statement (data-modifying CTEs): the attempt, the block item,
# the block's score, the question's counters, the student's progress and mastery. One round
# trip instead of six on the hot path; bench/answer_path.py runs the very same SQL raw.
ANSWER_WRITES = f"""
WITH attempt AS (
    INSERT INTO user_question_attempts (id, user_id, question_id, selected_index, is_correct, confidence_rating,
                                        time_taken_seconds, attempt_type, session_id, answered_at)
    VALUES (gen_random_uuid(), %(user)s, %(question)s, %(selected)s, %(is_correct)s, %(confidence)s, %(seconds)s,
            %(attempt_type)s, %(session)s, %(now)s)
), item AS (
    UPDATE practice_session_questions SET selected_index = %(selected)s, confidence_rating = %(confidence)s,
           is_correct = %(is_correct)s, time_taken_seconds = %(seconds)s, answered_at = %(now)s
    WHERE id = %(item)s
), block AS (
    UPDATE practice_sessions SET correct_count = correct_count + %(correct)s WHERE id = %(session)s
), counters AS ({_QUESTION_STATS}), progress AS ({_PROGRESS})
{_MASTERY}
"""


def proficiency_for(*, answered: int, correct: int) -> str:
    """The rule of PROFICIENCY_SQL, in Python (for pages and tests)."""
    if answered < 10:
        return "novice"
    for level, cutoff in (("beginner", 50), ("intermediate", 70), ("advanced", 85)):
        if correct * 100 < answered * cutoff:
            return level
    return "expert"


# The block item, locked, with what answering it needs from its block and question. The join
# on the student's id makes anyone else's block "no such question"; the one on `questions`
# runs under row-level security, so a question the student may no longer see is not found.
ANSWER_LOCK = """
SELECT i.id, i.answered_at, i.shown_at, i.viewed_seconds, s.status, s.session_type, s.time_limit_seconds,
       s.elapsed_seconds,
       s.resumed_at, q.id, q.correct_index, q.topic, jsonb_array_length(q.options)
FROM practice_session_questions i
JOIN practice_sessions s ON s.id = i.session_id
JOIN questions q ON q.id = i.question_id
WHERE i.session_id = %(session)s AND i.question_order = %(position)s AND s.user_id = %(user)s
FOR UPDATE OF i
"""


class _Locked(NamedTuple):
    """A row of ANSWER_LOCK; it has the block clock's fields, for `_time_left`."""

    item_id: uuid.UUID
    answered_at: datetime.datetime | None
    shown_at: datetime.datetime | None
    viewed_seconds: int
    status: str
    session_type: str
    time_limit_seconds: int | None
    elapsed_seconds: int
    resumed_at: datetime.datetime | None
    question_id: uuid.UUID
    correct_index: int
    topic: str
    option_count: int


@dataclass(frozen=True)
class AnswerResult:
    recorded: bool  # False when this answer had already been recorded (double submit)
    is_correct: bool | None  # None when it had already been recorded


def answer_submit(
    *,
    user: User,
    session_id,
    position: int,
    selected_index: int,
    confidence: int | None = None,
    time_taken_seconds: int | None = None,
) -> AnswerResult:
    """Record the answer to the block's question at `position`, exactly once.

    One transaction (joining the request's, without a savepoint) of two statements: lock the
    block item (ANSWER_LOCK), then write the attempt, the item, the block's score, the
    question's peer counters, the student's progress on the question and their mastery of its
    topic (ANSWER_WRITES). The lock makes a second submit of the same item wait, then find it
    answered and record nothing. Refusals (not found, paused, ended, no such option) raise.
    """
    now = timezone.now()
    # Nothing in this block may raise: inside the request's transaction (no savepoint) an
    # exception would doom the whole request. Problems are raised after it.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(ANSWER_LOCK, {"session": session_id, "position": position, "user": user.pk})
        row = cursor.fetchone()
        locked = _Locked(*row) if row else None
        problem = _answer_problem(locked, selected_index, now)
        correct = None
        if problem is None and locked.answered_at is None:
            params = _answer_params(user, session_id, locked, selected_index, confidence, time_taken_seconds, now)
            cursor.execute(ANSWER_WRITES, params)
            correct = params["is_correct"]
            transaction.on_commit(lambda: cache.delete_many([user_stats_key(user.pk), user_due_reviews_key(user.pk)]))
    if problem is not None:
        raise problem
    return AnswerResult(recorded=correct is not None, is_correct=correct)


def _answer_problem(locked: _Locked | None, selected_index: int, now: datetime.datetime) -> Exception | None:
    if locked is None:
        return PracticeSessionQuestion.DoesNotExist("no such question in this student's blocks")
    if locked.status == SessionStatus.PAUSED:
        return BlockClosed("This block is paused: resume it to answer.")
    if locked.status != SessionStatus.ACTIVE or _time_left(locked, now) == 0:
        return BlockClosed("This block has ended.")
    if locked.answered_at is not None:
        return None  # answered already: the caller shows the recorded answer
    if not 0 <= selected_index < locked.option_count:
        return OptionMissing(f"option {selected_index} does not exist")
    return None


def _answer_params(user, session_id, locked: _Locked, selected_index, confidence, time_taken_seconds, now) -> dict:
    if time_taken_seconds is None:  # the time on screen: earlier showings, and this one
        showing = (now - locked.shown_at).total_seconds() if locked.shown_at else 0
        time_taken_seconds = locked.viewed_seconds + max(0, showing)
    correct = selected_index == locked.correct_index
    return {
        "user": user.pk, "question": locked.question_id, "item": locked.item_id, "session": session_id,
        "selected": selected_index, "slot": selected_index + 1, "is_correct": correct, "correct": int(correct),
        "confidence": confidence, "seconds": max(0, min(int(time_taken_seconds), MAX_SECONDS_PER_ANSWER)),
        "now": now, "topic": locked.topic, "attempt_type": str(ATTEMPT_TYPES[locked.session_type]),
    }  # fmt: skip


# --- Block state -----------------------------------------------------------------------------


def item_update(
    *,
    user: User,
    session: PracticeSession,
    position: int,
    selected_index: int | None = None,
    is_marked: bool | None = None,
    struck_options: list[int] | None = None,
    confidence: int | None = None,
) -> int:
    """Save what the student did on a question before (or after) submitting: the choice,
    confidence and struck-out options only until the answer is in; the mark at any time."""
    items = PracticeSessionQuestion.objects.filter(session=session, session__user=user, question_order=position)
    changed = 0
    if is_marked is not None:
        changed += items.update(is_marked=is_marked)
    pending = {}
    if selected_index is not None:
        pending["selected_index"] = selected_index
    if struck_options is not None:
        pending["struck_options"] = sorted({int(i) for i in struck_options})
    if confidence is not None:
        pending["confidence_rating"] = confidence
    if pending:
        changed += items.filter(answered_at__isnull=True).update(**pending)
    return changed


def session_navigate(*, session: PracticeSession, position: int) -> PracticeSession:
    """Show a question of the block. The one on screen until now banks its time on screen; the
    one shown starts counting (an answered question counts nothing any more)."""
    position = max(1, min(position, session.total_questions))
    now = timezone.now()
    with transaction.atomic():
        if position != session.current_position:
            _screen_time_bank(session, now)
            PracticeSession.objects.filter(pk=session.pk).update(current_position=position)
        PracticeSessionQuestion.objects.filter(
            session=session, question_order=position, answered_at__isnull=True, shown_at__isnull=True
        ).update(shown_at=now)
    session.current_position = position
    return session


def _screen_time_bank(session: PracticeSession, now: datetime.datetime) -> None:
    """The question on screen leaves it (another is shown, or the block pauses): add the time
    since it was shown to its `viewed_seconds`."""
    PracticeSessionQuestion.objects.filter(session=session, answered_at__isnull=True, shown_at__isnull=False).update(
        viewed_seconds=Least(
            F("viewed_seconds") + Greatest(Extract(Value(now) - F("shown_at"), "epoch"), 0),
            MAX_SECONDS_PER_ANSWER,
        ),
        shown_at=None,
    )


def session_pause(*, session: PracticeSession) -> bool:
    now = timezone.now()
    seconds = _running_seconds(session, now)
    with transaction.atomic():
        changed = PracticeSession.objects.filter(pk=session.pk, status=SessionStatus.ACTIVE).update(
            status=SessionStatus.PAUSED,
            elapsed_seconds=F("elapsed_seconds") + seconds,
            total_time_seconds=F("elapsed_seconds") + seconds,
            resumed_at=None,
        )
        if changed:
            _screen_time_bank(session, now)
    return bool(changed)


def session_resume(*, session: PracticeSession) -> bool:
    """Start the block clock again, and the time on screen of the question it shows."""
    now = timezone.now()
    with transaction.atomic():
        changed = PracticeSession.objects.filter(pk=session.pk, status=SessionStatus.PAUSED).update(
            status=SessionStatus.ACTIVE, resumed_at=now
        )
        if changed:
            session.items.filter(question_order=session.current_position, answered_at__isnull=True).update(shown_at=now)
    return bool(changed)


def session_finish(*, session: PracticeSession) -> bool:
    """End the block (the student's choice, or the block clock at zero); unanswered questions
    stay unanswered and count as wrong in the score."""
    now = timezone.now()
    seconds = _running_seconds(session, now)
    if session.time_limit_seconds is not None:
        seconds = min(seconds, max(0, session.time_limit_seconds - session.elapsed_seconds))
    changed = PracticeSession.objects.filter(
        pk=session.pk, status__in=[SessionStatus.ACTIVE, SessionStatus.PAUSED]
    ).update(
        status=SessionStatus.COMPLETED,
        completed_at=now,
        elapsed_seconds=F("elapsed_seconds") + seconds,
        total_time_seconds=F("elapsed_seconds") + seconds,
        resumed_at=None,
    )
    if changed:
        transaction.on_commit(lambda: cache.delete(user_stats_key(session.user_id)))
    return bool(changed)


def session_expire_if_over(*, session: PracticeSession) -> bool:
    """Timed and test blocks end themselves when the block clock runs out."""
    if session.status == SessionStatus.ACTIVE and _time_left(session, timezone.now()) == 0:
        return session_finish(session=session)
    return False


def time_left(session: PracticeSession) -> int | None:
    """Seconds left on the block clock; None for untimed blocks."""
    return _time_left(session, timezone.now())


def _running_seconds(session: PracticeSession, now: datetime.datetime) -> int:
    if session.status != SessionStatus.ACTIVE or session.resumed_at is None:
        return 0
    return max(0, int((now - session.resumed_at).total_seconds()))


def _time_left(session: PracticeSession, now: datetime.datetime) -> int | None:
    if session.time_limit_seconds is None:
        return None
    used = session.elapsed_seconds + _running_seconds(session, now)
    return max(0, session.time_limit_seconds - used)
