"""Reads for questions: a student's bank, peer statistics."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.models import User
from questions.models import Question, UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context

MIN_ANSWERS_FOR_BAND = 5
PEER_BANDS_KEY = "cache:questions:peer_bands"  # studyin:cache:questions:peer_bands
PEER_BANDS_TTL = 600


def questions_visible_to(*, user: User) -> QuerySet[Question]:
    """A student's question bank: questions from their own materials, and verified ones.

    The same rule as the row-level security policy on `questions` (questions migration 0005);
    saying it here too keeps staff, whose requests outside the admin see only their own rows
    anyway, and the `system` context of workers and commands on the same rule.
    """
    return Question.objects.filter(Q(material__user=user) | Q(is_verified=True))


# Fewer answers from other students than this, and percentages would claim more than they know.
MIN_PEER_ANSWERS = 5


@dataclass(frozen=True)
class PeerStats:
    """How other students answered a question: never the student's own answers."""

    answered: int  # answers by other students
    percent_correct: int | None  # None below MIN_PEER_ANSWERS
    distribution: list[int]  # percent of their answers that chose each option (zeros below the minimum)
    band: str | None  # None below MIN_ANSWERS_FOR_BAND

    @property
    def enough(self) -> bool:
        return self.percent_correct is not None


def own_answer_counts(*, user, question_ids) -> dict:
    """The student's own answers per option, {question id: [count of option 0, 1, …]}, in one
    query: what peer statistics leave out."""
    counts: dict = {}
    rows = (
        UserQuestionAttempt.objects.filter(user=user, question_id__in=question_ids)
        .values_list("question_id", "selected_index")
        .annotate(n=Count("id"))
    )
    for question_id, index, n in rows:
        row = counts.setdefault(question_id, [])
        row.extend([0] * (index + 1 - len(row)))
        row[index] += n
    return counts


def peer_band_cutoffs() -> list[float] | None:
    """Peer accuracy at the 5th, 20th, 50th and 80th percentile of the whole bank.

    AMBOSS-style bands: the easiest 20% of questions (accuracy at or above the 80th percentile)
    are "very easy", the hardest 5% "very difficult". An aggregate over every question, so it
    is computed as `system` and cached for ten minutes.
    """
    cutoffs = cache.get(PEER_BANDS_KEY)
    if cutoffs is None:
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(ARRAY[0.05, 0.2, 0.5, 0.8]) WITHIN GROUP "
                "(ORDER BY times_correct::float / times_answered) FROM questions WHERE times_answered >= %s",
                [MIN_ANSWERS_FOR_BAND],
            )
            cutoffs = cursor.fetchone()[0] or []
        cache.set(PEER_BANDS_KEY, cutoffs, PEER_BANDS_TTL)
    return cutoffs or None


def peer_band(accuracy: float, cutoffs: list[float]) -> str:
    p05, p20, p50, p80 = cutoffs
    if accuracy >= p80:
        return "very easy"
    if accuracy >= p50:
        return "easy"
    if accuracy >= p20:
        return "medium"
    if accuracy > p05:
        return "difficult"
    return "very difficult"


def peer_stats(*, question: Question, own: list[int] | None = None) -> PeerStats:
    """Other students' answers to `question`: its counters less the student's own answers
    (`own`, per option, from `own_answer_counts`)."""
    size = len(question.options)
    own = [*(own or []), *([0] * size)][:size]
    stored = [c or 0 for c in [*(question.answer_counts or []), *([0] * size)][:size]]
    counts = [max(0, c - mine) for c, mine in zip(stored, own, strict=True)]
    answered = max(0, question.times_answered - sum(own))
    correct = max(0, question.times_correct - own[question.correct_index])
    if answered < MIN_PEER_ANSWERS:
        return PeerStats(answered, None, [0] * size, None)
    accuracy = correct / answered
    band = None
    if answered >= MIN_ANSWERS_FOR_BAND and (cutoffs := peer_band_cutoffs()):
        band = peer_band(accuracy, cutoffs)
    total = sum(counts) or answered
    return PeerStats(answered, round(100 * accuracy), [round(100 * c / total) for c in counts], band)
