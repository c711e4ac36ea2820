"""Reads for questions: peer statistics."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from questions.models import Question
from studyin.rls import ROLE_SYSTEM, rls_context

MIN_ANSWERS_FOR_BAND = 5
PEER_BANDS_KEY = "cache:questions:peer_bands"  # studyin:cache:questions:peer_bands
PEER_BANDS_TTL = 600


@dataclass(frozen=True)
class PeerStats:
    answered: int
    percent_correct: int | None  # None before anyone answered
    distribution: list[int]  # percent of answers that chose each option
    band: str | None  # None until MIN_ANSWERS_FOR_BAND answers


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


def peer_stats(*, question: Question) -> PeerStats:
    answered = question.times_answered
    counts = list(question.answer_counts or []) + [0] * (len(question.options) - len(question.answer_counts or []))
    counts = [c or 0 for c in counts[: len(question.options)]]
    if not answered:
        return PeerStats(0, None, [0] * len(question.options), None)
    accuracy = question.times_correct / answered
    band = None
    if answered >= MIN_ANSWERS_FOR_BAND and (cutoffs := peer_band_cutoffs()):
        band = peer_band(accuracy, cutoffs)
    total = sum(counts) or answered
    return PeerStats(answered, round(100 * accuracy), [round(100 * c / total) for c in counts], band)
