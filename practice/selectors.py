"""Reads for practice: which questions a student may practise, blocks, summaries, peer stats."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import User
from practice.models import PracticeSession, PracticeSessionQuestion, SessionType
from progress.selectors import due_cards, forgetting_by
from questions.models import Question, UserQuestionAttempt
from questions.selectors import questions_visible_to

POOLS = {
    "unused": "Unused: never answered",
    "incorrect": "Incorrect: last answer wrong",
    "marked": "Marked for review",
    "all": "All questions",
    "forgetting": "What I am most likely to forget by my exam",
}
BLOCK_SIZE_DEFAULT, BLOCK_SIZE_MAX = 20, 40
SECONDS_PER_QUESTION = 90  # NBME pacing, for the timed and test block clock


@dataclass(frozen=True)
class BlockFilters:
    mode: str = SessionType.TUTOR
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    material_id: uuid.UUID | None = None
    pool: str = "all"
    size: int = BLOCK_SIZE_DEFAULT

    @property
    def ordered(self) -> bool:
        """Review blocks and "forgetting" take the most forgotten first; the others are shuffled."""
        return self.mode == SessionType.REVIEW or self.pool == "forgetting"

    def as_settings(self) -> dict:
        return {
            "topics": list(self.topics),
            "difficulties": list(self.difficulties),
            "material_id": str(self.material_id) if self.material_id else None,
            "pool": self.pool,
            "size": self.size,
        }


def block_candidates(*, user: User, filters: BlockFilters) -> QuerySet[Question]:
    questions = questions_visible_to(user=user)
    if filters.topics:
        questions = questions.filter(topic__in=filters.topics)
    if filters.difficulties:
        questions = questions.filter(difficulty__in=filters.difficulties)
    if filters.material_id:
        questions = questions.filter(material_id=filters.material_id)
    mine = UserQuestionAttempt.objects.filter(user=user, question=OuterRef("pk"))
    if filters.mode == SessionType.REVIEW:  # the due queue, most forgotten first
        return _by_recall(questions, due_cards(user=user))
    if filters.pool == "forgetting" and user.exam_date:  # lowest predicted recall on exam day first
        return _by_recall(questions, forgetting_by(user=user, day=user.exam_date))
    if filters.pool == "incorrect":
        last_wrong = mine.order_by("-answered_at").values("is_correct")[:1]
        questions = questions.alias(last_correct=last_wrong).filter(last_correct=False)
    elif filters.pool == "unused":
        questions = questions.exclude(Exists(mine))
    if filters.pool == "marked":
        marked = PracticeSessionQuestion.objects.filter(session__user=user, question=OuterRef("pk"), is_marked=True)
        questions = questions.filter(Exists(marked))
    return questions


def _by_recall(questions: QuerySet[Question], cards) -> QuerySet[Question]:
    card = cards.filter(question=OuterRef("pk"))
    return (
        questions.filter(pk__in=cards.values("question_id"))
        .annotate(recall=Subquery(card.values("retrievability")[:1]), card_due=Subquery(card.values("due")[:1]))
        .order_by("recall", "card_due", "pk")  # equal recall (reviewed the same day): the longest due first
    )


def topics_for(*, user: User) -> list[tuple[str, int]]:
    """Topics of the student's question bank with their question counts, for the builder."""
    counts: dict[str, int] = defaultdict(int)
    for topic in questions_visible_to(user=user).values_list("topic", flat=True):
        counts[topic] += 1
    return sorted(counts.items())


def session_get_for_user(*, user: User, session_id) -> PracticeSession:
    return get_object_or_404(PracticeSession, pk=session_id, user=user)


def sessions_for(*, user: User, limit: int = 20) -> QuerySet[PracticeSession]:
    return PracticeSession.objects.filter(user=user).order_by("-started_at")[:limit]


def session_items(*, session: PracticeSession) -> list[PracticeSessionQuestion]:
    return list(
        session.items.select_related("question", "question__material").prefetch_related("question__option_rows")
    )


@dataclass
class TopicScore:
    topic: str
    answered: int = 0
    correct: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


@dataclass
class BlockSummary:
    total: int
    answered: int
    correct: int
    seconds: int
    topics: list[TopicScore] = field(default_factory=list)
    items: list[PracticeSessionQuestion] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def block_summary(*, session: PracticeSession) -> BlockSummary:
    items = session_items(session=session)
    topics: dict[str, TopicScore] = {}
    for item in items:
        score = topics.setdefault(item.question.topic, TopicScore(item.question.topic))
        if item.answered_at:
            score.answered += 1
            score.correct += bool(item.is_correct)
    return BlockSummary(
        total=len(items),
        answered=sum(1 for i in items if i.answered_at),
        correct=sum(1 for i in items if i.is_correct),
        seconds=session.total_time_seconds,
        topics=sorted(topics.values(), key=lambda t: t.topic),
        items=items,
    )
