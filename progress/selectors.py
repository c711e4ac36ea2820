"""Reads for progress: the due queue, leeches, retention, and the forecast for an exam day."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, F, FloatField, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Extract, Floor, Greatest, Power
from django.utils import timezone

from progress.models import MasteryLevel, SM2ReviewCard
from progress.scheduling import FSRS_DECAY, FSRS_FACTOR
from studyin.cache import user_due_reviews_key

DUE_COUNT_TTL = 60  # seed 000: studyin:user:{id}:due_reviews, 1 minute
RETENTION_DAYS = 30


def retrievability_at(at: datetime.datetime):
    """progress.scheduling.retrievability as a database expression over a card's columns (0 for a
    card never reviewed), so the due queue is ordered in the database."""
    elapsed = Extract(Value(at) - F("last_reviewed_at"), "epoch")
    days = Floor(Greatest(elapsed, Value(0.0)) / Value(86400.0))
    stability = Coalesce(F("stability"), Cast(F("interval_days"), FloatField()))
    curve = Power(Value(1.0) + Value(FSRS_FACTOR) * days / stability, Value(FSRS_DECAY))
    return Coalesce(curve, Value(0.0), output_field=FloatField())


def _with_retrievability(cards: QuerySet[SM2ReviewCard], at: datetime.datetime) -> QuerySet[SM2ReviewCard]:
    return cards.annotate(retrievability=retrievability_at(at))


def due_cards(*, user, at: datetime.datetime | None = None) -> QuerySet[SM2ReviewCard]:
    """The student's cards due now, most forgotten first (lowest retrievability); leeches left out."""
    at = at or timezone.now()
    cards = SM2ReviewCard.objects.filter(user=user, is_suspended=False, due__lte=at)
    return _with_retrievability(cards, at).order_by("retrievability", "due")


def due_count(*, user) -> int:
    """How many reviews are due, for the navigation bar: from Redis for a minute, invalidated
    when one of the student's cards changes (progress/services.py)."""
    key = user_due_reviews_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = due_cards(user=user).count()
        cache.set(key, count, DUE_COUNT_TTL)
    return count


def forgetting_by(*, user, day: datetime.date) -> QuerySet[SM2ReviewCard]:
    """Every reviewed card of the student, least likely to be recalled on `day` first: "what I
    am most likely to forget by my exam"."""
    at = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
    cards = SM2ReviewCard.objects.filter(user=user, is_suspended=False, last_reviewed_at__isnull=False)
    return _with_retrievability(cards, at).order_by("retrievability")


def leeches(*, user) -> QuerySet[SM2ReviewCard]:
    return SM2ReviewCard.objects.filter(user=user, is_suspended=True).select_related("question").order_by("-lapses")


@dataclass(frozen=True)
class Retention:
    reviews: int  # answers of the last RETENTION_DAYS days to questions answered before
    recalled: int

    @property
    def rate(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


def true_retention(*, user, now: datetime.datetime | None = None) -> Retention:
    """The share of reviews of the last 30 days that were recalled: an answer is a review when
    the student had answered the question before (the attempts are the review history)."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE is_correct) FROM (
                SELECT is_correct, answered_at,
                       row_number() OVER (PARTITION BY question_id ORDER BY answered_at) AS nth
                FROM user_question_attempts WHERE user_id = %s AND answered_at <= %s
            ) a
            WHERE nth > 1 AND answered_at > %s
            """,
            [user.pk, now, now - datetime.timedelta(days=RETENTION_DAYS)],
        )
        reviews, recalled = cursor.fetchone()
    return Retention(reviews=reviews, recalled=recalled)


def deck_retention(*, user, day: datetime.date) -> float | None:
    """The mean predicted chance of recall of the student's reviewed cards on `day`."""
    return forgetting_by(user=user, day=day).aggregate(mean=Avg("retrievability"))["mean"]


def mastery_by_topic(*, user) -> QuerySet[MasteryLevel]:
    return MasteryLevel.objects.filter(user=user).order_by("-questions_answered", "topic")


def upcoming(*, user, days: int, now: datetime.datetime) -> list[tuple[datetime.date, int]]:
    """Reviews falling due on each of the student's next `days` days (today: those already due too)."""
    zone = zoneinfo.ZoneInfo(user.time_zone)
    start = now.astimezone(zone).date()
    end = datetime.datetime.combine(start + datetime.timedelta(days=days), datetime.time(), tzinfo=zone)
    counts = {start + datetime.timedelta(days=i): 0 for i in range(days)}
    for due in SM2ReviewCard.objects.filter(user=user, is_suspended=False, due__lt=end).values_list("due", flat=True):
        counts[max(start, due.astimezone(zone).date())] += 1
    return sorted(counts.items())
