"""Writes for practice blocks: build, answer, mark, strike out, navigate, pause, resume, finish.

`answer_submit` is the hot path (bench/answer_path.py): one transaction composing the apps that
own what an answer changes, a fixed handful of statements, and idempotent, so a double click or a
retried request records one attempt.
"""

import dataclasses
import datetime
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Extract, Greatest, Least
from django.utils import timezone

from accounts.models import User
from analytics.services import study_session_record
from coach.paths import milestones_reach
from gamification.selectors import block_rewards
from gamification.services import RewardOutcome, answer_reward
from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus, SessionType
from practice.selectors import (
    BLOCK_SIZE_MAX,
    SECONDS_PER_QUESTION,
    BlockFilters,
    block_candidates,
)
from progress.services import ProgressOutcome, answer_progress_record
from questions.answers import RecordedAnswer, attempt_record
from questions.models import AttemptType
from questions.selectors import questions_visible_to
from studyin.cache import stats_invalidate
from studyin.rls import ROLE_SYSTEM, rls_context

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
    candidates = block_candidates(user=user, filters=filters)
    question_ids = list(
        (candidates if filters.ordered else candidates.order_by("?")).values_list("pk", flat=True)[:size]
    )
    if not question_ids and filters.mode == SessionType.REVIEW:
        raise BlockEmpty("No reviews are due: every card is scheduled for later. Practise new questions meanwhile.")
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

# The block item, locked, with what answering it needs from its block and question. The join
# on the student's id makes anyone else's block "no such question"; the one on `questions`
# runs under row-level security, so a question the student may no longer see is not found.
# The student's row is locked too: one answer of a student at a time, so that the services
# after it (a review card, the XP total, the streak) never start from the same state twice.
ANSWER_LOCK = """
SELECT i.id, i.answered_at, i.shown_at, i.viewed_seconds, s.status, s.session_type, s.time_limit_seconds,
       s.elapsed_seconds, s.resumed_at, q.id, q.correct_index, q.topic, q.difficulty, jsonb_array_length(q.options)
FROM practice_session_questions i
JOIN practice_sessions s ON s.id = i.session_id
JOIN questions q ON q.id = i.question_id
JOIN users u ON u.id = s.user_id
WHERE i.session_id = %(session)s AND i.question_order = %(position)s AND s.user_id = %(user)s
FOR UPDATE OF i, u
"""

# The block's side of an answer: the item and the block's score, and whether any question of
# the block is left unanswered (the snapshot still sees this item unanswered: 1 means none).
ANSWER_ITEM_WRITE = """
WITH item AS (
    UPDATE practice_session_questions SET selected_index = %(selected)s, confidence_rating = %(confidence)s,
           is_correct = %(is_correct)s, time_taken_seconds = %(seconds)s, answered_at = %(now)s
    WHERE id = %(item)s
)
UPDATE practice_sessions SET correct_count = correct_count + %(correct)s WHERE id = %(session)s
RETURNING (SELECT count(*) FROM practice_session_questions WHERE session_id = %(session)s AND answered_at IS NULL)
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
    difficulty: str
    option_count: int


@dataclass(frozen=True)
class AnswerOutcome:
    """What the student should see of an answer: right or wrong, and what it earned."""

    recorded: bool  # False when this answer had already been recorded (double submit)
    is_correct: bool | None  # None when it had already been recorded
    session_type: str = ""
    progress: ProgressOutcome | None = None  # the topic's mastery, the card's next review
    reward: RewardOutcome | None = None  # XP, level, streak, daily goal, achievements


def answer_submit(
    *,
    user: User,
    session_id,
    position: int,
    selected_index: int,
    confidence: int | None = None,
    time_taken_seconds: int | None = None,
) -> AnswerOutcome:
    """Record the answer to the block's question at `position`, exactly once, and everything
    that follows from it, in one transaction and in this order, each step by the app that owns
    its tables, handed the same `RecordedAnswer`:

    1. practice: lock the block item and the student's row (ANSWER_LOCK), then write the item
       and the block's score (ANSWER_ITEM_WRITE);
    2. questions: the attempt and the question's peer counters (`attempt_record`);
    3. progress: the question's progress, the topic's mastery and the review card
       (`answer_progress_record`);
    4. coach: the learning-path milestones the topic's mastery now reaches (`milestones_reach`);
    5. gamification: XP, the study day and streak, the daily goal, achievements, milestones
       (`answer_reward`).

    The lock makes a second submit of the same item wait, then find it answered and record
    nothing. Refusals (not found, paused, ended, no such option) are decided from the locked row
    before anything is written, and raised. The block is a savepoint inside the request's
    transaction (studyin/rls.py says who owns which transaction), so whatever raises in it
    rolls back the answer alone and never dooms the request.
    """
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ANSWER_LOCK, {"session": session_id, "position": position, "user": user.pk})
        row = cursor.fetchone()
        locked = _Locked(*row) if row else None
        problem = _answer_problem(locked, selected_index, now)
        if problem is not None:
            raise problem
        if locked.answered_at is not None:
            return AnswerOutcome(recorded=False, is_correct=None)
        answer = _recorded(user, session_id, locked, selected_index, confidence, time_taken_seconds, now)
        cursor.execute(
            ANSWER_ITEM_WRITE,
            {"item": locked.item_id, "session": session_id, "selected": selected_index, "confidence": confidence,
             "is_correct": answer.is_correct, "correct": int(answer.is_correct), "seconds": answer.seconds, "now": now},
        )  # fmt: skip
        (unanswered,) = cursor.fetchone()
        if unanswered == 1 and locked.session_type == SessionType.REVIEW:
            answer = dataclasses.replace(answer, completes_review=True)
        attempt_record(answer=answer)
        progress = answer_progress_record(answer=answer)
        milestones = milestones_reach(
            user_id=user.pk, topic=answer.topic, topic_answered=progress.topic_answered,
            topic_mastery=progress.mastery_percentage, now=now,
        )  # fmt: skip
        reward = answer_reward(
            answer=answer, topic_answered=progress.topic_answered, topic_mastery=progress.mastery_percentage,
            milestones=[m.topic for m in milestones],
        )  # fmt: skip
    return AnswerOutcome(
        recorded=True, is_correct=answer.is_correct, session_type=locked.session_type, progress=progress, reward=reward
    )


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


def _recorded(user, session_id, locked: _Locked, selected_index, confidence, time_taken_seconds, now) -> RecordedAnswer:
    if time_taken_seconds is None:  # the time on screen: earlier showings, and this one
        showing = (now - locked.shown_at).total_seconds() if locked.shown_at else 0
        time_taken_seconds = locked.viewed_seconds + max(0, showing)
    return RecordedAnswer(
        user_id=user.pk, question_id=locked.question_id, topic=locked.topic, difficulty=locked.difficulty,
        selected_index=selected_index, is_correct=selected_index == locked.correct_index, confidence=confidence,
        seconds=max(0, min(int(time_taken_seconds), MAX_SECONDS_PER_ANSWER)), answered_at=now,
        attempt_type=str(ATTEMPT_TYPES[locked.session_type]), session_id=session_id,
    )  # fmt: skip


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
    with transaction.atomic():
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
            _study_session_record(session.pk, now)
            transaction.on_commit(lambda: stats_invalidate(session.user_id))
    return bool(changed)


def _study_session_record(session_id, now: datetime.datetime) -> None:
    """The ended block as a study session (analytics), in the transaction that ends it."""
    ended = PracticeSession.objects.get(pk=session_id)
    items = list(ended.items.values_list("answered_at", "is_correct", "question__topic"))
    answered = [i for i in items if i[0] is not None]
    study_session_record(
        user_id=ended.user_id, session_type=ended.session_type, started_at=ended.started_at, ended_at=now,
        duration_seconds=ended.total_time_seconds, questions_answered=len(answered),
        xp_earned=block_rewards(user=ended.user, session_id=ended.pk).xp,
        activity={"session": str(ended.pk), "questions": len(items), "correct": sum(1 for i in answered if i[1]),
                  "topics": sorted({i[2] for i in items if i[2]}), "time_limit_seconds": ended.time_limit_seconds},
    )  # fmt: skip


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


def completed_review_blocks(*, user_ids) -> set:
    """Review blocks whose every question was answered (their last answer earned the review XP)."""
    with rls_context(role=ROLE_SYSTEM):
        return set(
            PracticeSession.objects.filter(user_id__in=list(user_ids), session_type=SessionType.REVIEW)
            .exclude(items__answered_at__isnull=True)
            .values_list("pk", flat=True)
        )
