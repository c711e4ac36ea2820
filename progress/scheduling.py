"""Spaced repetition: two schedulers behind one interface, chosen per student (`users.scheduler`).

Grades (README "Reviews"): a wrong answer is Again; a right one is Hard at confidence 1-2, Good
at 3-4 or with no confidence given, Easy at 5.

- FSRS (the default) through the maintained `fsrs` package: the card's state, step, stability,
  difficulty, due time and last review are the row's added columns, the card id is the row's id,
  the desired retention the student's (0.70-0.97), fuzz on (drawn from a generator seeded by the
  card and the review's time, so a replay of the history gives the same card).
- SM-2 exactly as published (SuperMemo, 1987), on the seed's columns: quality q from the grade
  (Again 1, Hard 3, Good 4, Easy 5); for q >= 3 the easiness factor becomes
  EF + (0.1 - (5 - q)(0.08 + (5 - q)0.02)), at least 1.3, and the interval is 1 day, then 6,
  then the last interval times the new EF, rounded up; q < 3 restarts the repetitions at an
  interval of 1 day without changing EF.

Both count a lapse when a card that had been recalled before is forgotten; at LEECH_LAPSES the
card is suspended (a leech) until the student unsuspends it, and again every LEECH_LAPSES / 2
lapses after.

Retrievability (the chance of recall now) is FSRS's forgetting curve, R = (1 + F t / S)^D with
t the whole days since the last review; an SM-2 card has no stability, and its interval stands
in for it (R = 0.9 when the interval is over, as FSRS intends for its own intervals).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import math
import random
import threading
import uuid
from dataclasses import dataclass
from enum import IntEnum

import fsrs.scheduler as fsrs_scheduler_module
from fsrs import Card, Rating, Scheduler, State

LEECH_LAPSES = 8
FSRS_DECAY = -0.1542  # -w[20] of FSRS-6's default parameters (fsrs.scheduler.FSRS_DEFAULT_DECAY)
FSRS_FACTOR = 0.9 ** (1 / FSRS_DECAY) - 1


class Grade(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


SM2_QUALITY = {Grade.AGAIN: 1, Grade.HARD: 3, Grade.GOOD: 4, Grade.EASY: 5}


def grade_for(*, is_correct: bool, confidence: int | None) -> Grade:
    if not is_correct:
        return Grade.AGAIN
    if confidence is not None and confidence <= 2:
        return Grade.HARD
    if confidence == 5:
        return Grade.EASY
    return Grade.GOOD


@dataclass(frozen=True)
class CardState:
    """What a review card holds, whichever scheduler wrote it (the row's columns)."""

    repetition_count: int = 0
    easiness_factor: float = 2.5
    interval_days: int = 1
    state: int = State.Learning.value
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime.datetime | None = None
    last_reviewed_at: datetime.datetime | None = None
    lapses: int = 0
    is_suspended: bool = False

    @property
    def learnt(self) -> bool:
        """Recalled at least once before: forgetting it now is a lapse."""
        return self.repetition_count > 0 or self.state == State.Review.value


def sm2_review(card: CardState, grade: Grade, now: datetime.datetime) -> CardState:
    q = SM2_QUALITY[grade]
    if q < 3:
        repetitions, interval, easiness = 0, 1, card.easiness_factor
    else:
        easiness = max(1.3, card.easiness_factor + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
        if card.repetition_count == 0:
            interval = 1
        elif card.repetition_count == 1:
            interval = 6
        else:
            interval = math.ceil(card.interval_days * easiness)
        repetitions = card.repetition_count + 1
    return _after(
        card,
        grade,
        repetition_count=repetitions,
        easiness_factor=round(easiness, 6),
        interval_days=interval,
        state=State.Review.value,
        step=None,
        due=now + datetime.timedelta(days=interval),
        last_reviewed_at=now,
    )


@functools.lru_cache(maxsize=32)
def fsrs_scheduler(desired_retention: float) -> Scheduler:
    """One per desired retention (a scheduler holds only its parameters): not rebuilt per answer."""
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=True)


def fsrs_review(
    card: CardState, grade: Grade, now: datetime.datetime, *, card_id: uuid.UUID, desired_retention: float
) -> CardState:
    before = Card(
        card_id=card_id.int,
        state=State(card.state),
        step=card.step if card.state != State.Review.value else None,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due or now,
        last_review=card.last_reviewed_at,
    )
    with _fuzz_seeded(f"{card_id}:{now.isoformat()}"):
        after, _ = fsrs_scheduler(desired_retention).review_card(before, Rating(int(grade)), review_datetime=now)
    interval = max(1, math.ceil((after.due - now).total_seconds() / 86400))
    recalled = grade != Grade.AGAIN
    return _after(
        card,
        grade,
        repetition_count=card.repetition_count + 1 if recalled else 0,
        interval_days=interval,
        state=after.state.value,
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=after.due,
        last_reviewed_at=now,
    )


_FUZZ_LOCK = threading.Lock()


@contextlib.contextmanager
def _fuzz_seeded(seed: str):
    """The package draws its fuzz from the module-level `random()`; draw it from a generator seeded
    by the card and the review's time instead, so that replaying a card's history (the recompute)
    gives the very card the answer path wrote, and a review never depends on other reviews."""
    with _FUZZ_LOCK:
        original = fsrs_scheduler_module.random
        fsrs_scheduler_module.random = random.Random(seed).random
        try:
            yield
        finally:
            fsrs_scheduler_module.random = original


def _after(card: CardState, grade: Grade, **changes) -> CardState:
    lapsed = grade == Grade.AGAIN and card.learnt
    lapses = card.lapses + lapsed
    # A leech at LEECH_LAPSES, and again every half as many after, as Anki does: a card the
    # student took back keeps its history and is suspended again if it keeps being forgotten.
    leech = lapsed and lapses >= LEECH_LAPSES and (lapses - LEECH_LAPSES) % (LEECH_LAPSES // 2) == 0
    return CardState(**{**card.__dict__, **changes, "lapses": lapses, "is_suspended": card.is_suspended or leech})


def review(
    card: CardState, grade: Grade, now: datetime.datetime, *, scheduler: str, card_id: uuid.UUID, desired_retention
) -> CardState:
    """The card after this review, by the student's scheduler ("fsrs" or "sm2")."""
    if scheduler == "sm2":
        return sm2_review(card, grade, now)
    return fsrs_review(card, grade, now, card_id=card_id, desired_retention=desired_retention)


def retrievability(card: CardState, at: datetime.datetime) -> float:
    """The predicted chance of recall at `at` (0 for a card never reviewed)."""
    if card.last_reviewed_at is None:
        return 0.0
    stability = card.stability or card.interval_days
    days = max(0, (at - card.last_reviewed_at).days)
    return (1 + FSRS_FACTOR * days / stability) ** FSRS_DECAY
