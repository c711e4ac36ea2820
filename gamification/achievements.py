"""The achievements engine: an achievement's `unlock_conditions` is a JSON object of conditions,
all of which must hold. The conditions it knows (every one the seeded eight use):

| condition | holds when | progress stored |
| --- | --- | --- |
| `questions_answered: N` | the student has answered N questions | answers so far |
| `correct_streak: N` | N answers in a row were right | the current run |
| `streak_days: N` | the study streak reaches N days | the streak |
| `time_under_seconds: N` | a right answer took under N seconds | 1 once it did |
| `study_hour_after: H` | an answer falls in the night, H:00 to 04:00 local time | 1 once it did |
| `study_hour_before: H` | an answer falls in the morning, 04:00 to H:00 local time | 1 once it did |
| `topic: T` with `mastery_percentage: P` | mastery of topic T reaches P% over at least MASTERY_MIN_ANSWERS answers | the mastery |

An achievement with a condition not in this table is refused in the admin; a new one made of
these works without code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

NIGHT_ENDS = 4  # "after midnight" ends, and "early" begins, at 04:00 local time
MASTERY_MIN_ANSWERS = 10  # mastery of 90% over one answer is no mastery yet
KNOWN = frozenset(
    {"questions_answered", "correct_streak", "streak_days", "time_under_seconds", "study_hour_after",
     "study_hour_before", "topic", "mastery_percentage"}
)  # fmt: skip


class UnknownCondition(ValueError):
    pass


def conditions_check(conditions) -> None:
    """Raise UnknownCondition, with a message for staff, unless the engine can evaluate these."""
    if not isinstance(conditions, Mapping) or not conditions:
        raise UnknownCondition('Unlock conditions must be a JSON object of conditions, e.g. {"streak_days": 7}.')
    unknown = sorted(set(conditions) - KNOWN)
    if unknown:
        raise UnknownCondition(
            f"Unknown condition{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: the engine knows "
            f"{', '.join(sorted(KNOWN))}."
        )
    if ("topic" in conditions) != ("mastery_percentage" in conditions):
        raise UnknownCondition("“topic” and “mastery_percentage” go together: mastery of which topic, and how much.")
    for key, value in conditions.items():
        if key == "topic":
            if not isinstance(value, str) or not value.strip():
                raise UnknownCondition("“topic” must be a topic's name.")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UnknownCondition(f"“{key}” must be a whole number, not {value!r}.")
    hours = [conditions[k] for k in ("study_hour_after", "study_hour_before") if k in conditions]
    if any(h > 23 for h in hours):
        raise UnknownCondition("Hours run from 0 to 23.")


@dataclass(frozen=True)
class AnswerFacts:
    """What the engine evaluates, for one answer, after the answer is counted."""

    is_correct: bool
    seconds: int
    local_hour: int
    topic: str
    topic_answered: int
    topic_mastery: float
    streak_days: int


def evaluate(conditions: Mapping, progress: int, facts: AnswerFacts) -> tuple[int, bool]:
    """The achievement's progress after this answer, and whether every condition now holds."""
    held, measures = [], []
    for key, target in conditions.items():
        if key in ("topic", "mastery_percentage"):
            continue
        measure = {
            "questions_answered": lambda: progress + 1,
            "correct_streak": lambda: progress + 1 if facts.is_correct else 0,
            "streak_days": lambda: facts.streak_days,
            "time_under_seconds": lambda t=target: max(progress, int(facts.is_correct and facts.seconds < t)),
            "study_hour_after": lambda h=target: max(progress, int(h <= facts.local_hour < NIGHT_ENDS)),
            "study_hour_before": lambda h=target: max(progress, int(NIGHT_ENDS <= facts.local_hour < h)),
        }[key]()
        measures.append(measure)
        goal = target if key in ("questions_answered", "correct_streak", "streak_days") else 1
        held.append(measure >= goal)
    if "topic" in conditions:
        mine = facts.topic.casefold() == str(conditions["topic"]).casefold()
        mastery = int(facts.topic_mastery) if mine else progress
        measures.append(mastery)
        held.append(
            mine and facts.topic_answered >= MASTERY_MIN_ANSWERS and mastery >= conditions["mastery_percentage"]
        )
    return (measures[0] if len(measures) == 1 else min(measures, default=0)), all(held)
