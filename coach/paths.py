"""Learning paths: ordered milestones, one topic each, with prerequisites that form a DAG.

- The coach proposes a path from the student's weak topics (mastery below MILESTONE_MASTERY, or
  fewer than MILESTONE_MIN_ANSWERS answers) and the topics of their materials. Prerequisites
  follow the order medicine is learnt in: foundations (anatomy, physiology, biochemistry, ...)
  before the organ systems and microbiology, those before pharmacology; a milestone's
  prerequisites are the path's milestones of the tier before its own. Within a tier the weakest
  topic comes first, then topics not practised yet.
- A path's `topic_tree` is {"topics": [{"topic", "prerequisites": [topics]}]} in milestone
  order; each milestone's `prerequisites` are the ids of its prerequisite milestones. A cycle, an
  unknown prerequisite, or an order that puts a milestone before one it needs is refused.
- A milestone completes itself inside the answer path (`milestones_reach`, called by
  practice.services.answer_submit) once the student's mastery of its topic reaches
  MILESTONE_MASTERY % over at least MILESTONE_MIN_ANSWERS answers, in any order: mastery is
  mastery. Completing one earns XP through the ledger (gamification, XP_MILESTONE).
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from coach.models import LearningPath, LearningPathMilestone, LearningPathStatus
from materials.models import Material
from progress.models import MasteryLevel

MILESTONE_MASTERY = 80.0  # percent of the topic's answers right
MILESTONE_MIN_ANSWERS = 10
PATH_MAX_MILESTONES = 8
FOUNDATIONS = {"anatomy", "physiology", "biochemistry", "genetics", "histology", "immunology", "embryology",
               "cell biology", "behavioral science", "biostatistics"}  # fmt: skip
LAST = {"pharmacology"}


class PathInvalid(ValueError):
    """The milestones do not form a path: a cycle, or an order that breaks a prerequisite."""


@dataclass(frozen=True)
class Proposed:
    topic: str
    mastery: float | None  # None: not practised yet
    answered: int
    prerequisites: tuple[str, ...]

    @property
    def reason(self) -> str:
        if self.mastery is None:
            return "In your materials, not practised yet"
        return f"{self.mastery:.0f}% right over {self.answered} answers"


@dataclass(frozen=True)
class Reached:
    topic: str
    path: str


def tier(topic: str) -> int:
    name = topic.lower()
    return 0 if name in FOUNDATIONS else 2 if name in LAST else 1


def path_propose(*, user: User) -> list[Proposed]:
    """The milestones the coach suggests: weak topics first, then unpractised ones from the
    student's materials, at most PATH_MAX_MILESTONES, with their prerequisites."""
    levels = {m.topic: m for m in MasteryLevel.objects.filter(user=user)}
    weak = [
        m
        for m in levels.values()
        if m.mastery_percentage < MILESTONE_MASTERY or m.questions_answered < MILESTONE_MIN_ANSWERS
    ]
    weak.sort(key=lambda m: (m.mastery_percentage, -m.questions_answered))
    topics = [m.topic for m in weak]
    material_topics = Material.objects.filter(user=user).exclude(topic__isnull=True).exclude(topic="")
    for topic in material_topics.order_by("topic").values_list("topic", flat=True).distinct():
        if topic not in levels and topic not in topics:
            topics.append(topic)
    topics = topics[:PATH_MAX_MILESTONES]
    topics.sort(key=tier)  # stable: weakest first within a tier
    prerequisites = tier_prerequisites(topics)
    return [
        Proposed(
            topic=t,
            mastery=levels[t].mastery_percentage if t in levels else None,
            answered=levels[t].questions_answered if t in levels else 0,
            prerequisites=tuple(prerequisites[t]),
        )  # fmt: skip
        for t in topics
    ]


def tier_prerequisites(topics: list[str]) -> dict[str, list[str]]:
    """Each topic's prerequisites among `topics`: those of the nearest lower tier present."""
    tiers = sorted({tier(t) for t in topics})
    below = {level: [t for t in topics if tier(t) == tiers[i - 1]] if i else [] for i, level in enumerate(tiers)}
    return {t: below[tier(t)] for t in topics}


def dag_check(nodes: list[tuple[str, list[str]]]) -> None:
    """Refuse a cycle (naming it), an unknown prerequisite, or a milestone listed before one
    it needs. `nodes` is [(topic, prerequisite topics)] in milestone order."""
    known = [topic for topic, _ in nodes]
    if len(set(known)) != len(known):
        raise PathInvalid("A topic can be a milestone of a path only once.")
    needs = dict(nodes)
    for topic, prerequisites in nodes:
        for p in prerequisites:
            if p not in needs:
                raise PathInvalid(f"“{topic}” needs “{p}”, which is not a milestone of this path.")
    state: dict[str, int] = {}  # 1: on the current walk, 2: done

    def walk(topic: str, trail: list[str]) -> None:
        state[topic] = 1
        for p in needs[topic]:
            if state.get(p) == 1:
                cycle = trail[trail.index(p) :] + [topic, p] if p in trail else [topic, p]
                raise PathInvalid("These milestones need each other in a circle: " + " → ".join(cycle) + ".")
            if state.get(p) is None:
                walk(p, trail + [topic])
        state[topic] = 2

    for topic in known:
        if topic not in state:
            walk(topic, [])
    position = {topic: i for i, topic in enumerate(known)}
    for topic, prerequisites in nodes:
        for p in prerequisites:
            if position[p] > position[topic]:
                raise PathInvalid(f"“{topic}” needs “{p}” first, so it cannot come before it.")


def path_create(*, user: User, name: str, milestones: list[tuple[str, list[str]]]) -> LearningPath:
    """Store an accepted path: its milestones in order, with their prerequisites."""
    if not milestones:
        raise PathInvalid("A path needs at least one milestone.")
    dag_check(milestones)
    with transaction.atomic():
        path = LearningPath.objects.create(
            user=user, name=name[:500], topic_tree=_tree(milestones), total_milestones=len(milestones),
            description="Proposed by the coach from your weakest topics and your materials.",
        )  # fmt: skip
        ids: dict[str, str] = {}
        for order, (topic, prerequisites) in enumerate(milestones, start=1):
            milestone = LearningPathMilestone.objects.create(
                learning_path=path, topic=topic, milestone_order=order, prerequisites=[ids[p] for p in prerequisites]
            )
            ids[topic] = str(milestone.pk)
        _complete_mastered(path)
    return path


def _tree(milestones: list[tuple[str, list[str]]]) -> dict:
    return {"topics": [{"topic": t, "prerequisites": list(p)} for t, p in milestones]}


def _nodes(path: LearningPath) -> tuple[list[LearningPathMilestone], list[tuple[str, list[str]]]]:
    milestones = list(path.milestones.order_by("milestone_order"))
    topics = {str(m.pk): m.topic for m in milestones}
    return milestones, [(m.topic, [topics[p] for p in m.prerequisites if p in topics]) for m in milestones]


def milestone_move(*, path: LearningPath, milestone: LearningPathMilestone, offset: int) -> None:
    """Move a milestone up (-1) or down (+1), refused when it would pass a prerequisite."""
    with transaction.atomic():
        milestones, nodes = _nodes(LearningPath.objects.select_for_update().get(pk=path.pk))
        i = next(k for k, m in enumerate(milestones) if m.pk == milestone.pk)
        j = i + offset
        if not 0 <= j < len(milestones):
            return
        nodes[i], nodes[j] = nodes[j], nodes[i]
        dag_check(nodes)
        milestones[i], milestones[j] = milestones[j], milestones[i]
        _renumber(path, milestones, nodes)


def milestone_remove(*, path: LearningPath, milestone: LearningPathMilestone) -> None:
    """Remove a milestone; what needed it needs what it needed."""
    with transaction.atomic():
        milestones, nodes = _nodes(LearningPath.objects.select_for_update().get(pk=path.pk))
        gone = milestone.topic
        inherited = dict(nodes)[gone]
        nodes = [(t, sorted(set([p for p in ps if p != gone] + (inherited if gone in ps else [])))) for t, ps in nodes
                 if t != gone]  # fmt: skip
        kept = [m for m in milestones if m.pk != milestone.pk]
        LearningPathMilestone.objects.filter(pk=milestone.pk).delete()
        ids = {m.topic: str(m.pk) for m in kept}
        for m, (_, prerequisites) in zip(kept, nodes, strict=True):
            m.prerequisites = [ids[p] for p in prerequisites]
        _renumber(path, kept, nodes)


def _renumber(path: LearningPath, milestones: list[LearningPathMilestone], nodes) -> None:
    # Orders are unique per path in use, so move everything out of the way first.
    offset = (path.milestones.aggregate(top=Max("milestone_order"))["top"] or 0) + 1
    for order, m in enumerate(milestones, start=1):
        m.milestone_order = offset + order
    LearningPathMilestone.objects.bulk_update(milestones, ["milestone_order", "prerequisites"])
    for order, m in enumerate(milestones, start=1):
        m.milestone_order = order
    LearningPathMilestone.objects.bulk_update(milestones, ["milestone_order"])
    _recount(path, topic_tree=_tree(nodes))


def _recount(path: LearningPath, **fields) -> None:
    total = path.milestones.count()
    done = path.milestones.filter(is_completed=True).count()
    status = path.status
    if total and done == total:
        status = LearningPathStatus.COMPLETED
    elif status == LearningPathStatus.COMPLETED:
        status = LearningPathStatus.ACTIVE
    LearningPath.objects.filter(pk=path.pk).update(
        total_milestones=total, completed_milestones=done, status=status, **fields
    )


def _complete_mastered(path: LearningPath) -> None:
    """A milestone accepted on a topic already mastered is done from the start (no XP: the XP
    was for reaching it)."""
    mastered = MasteryLevel.objects.filter(
        user_id=path.user_id, mastery_percentage__gte=MILESTONE_MASTERY, questions_answered__gte=MILESTONE_MIN_ANSWERS
    ).values("topic")
    path.milestones.filter(topic__in=mastered).update(is_completed=True, completed_at=timezone.now())
    _recount(path)


def path_set_status(*, path: LearningPath, status: str) -> None:
    if path.status != LearningPathStatus.COMPLETED:
        LearningPath.objects.filter(pk=path.pk).update(status=status)


# In the answer path: the student's active paths' milestones on the topic, completed, and their
# paths' counts (a path whose last milestone this was is completed). One statement; the final
# SELECT sees the paths as they were, which is all it needs (their names).
MILESTONES_REACH = """
WITH done AS (
    UPDATE learning_path_milestones s SET is_completed = true, completed_at = %(now)s
    FROM learning_paths p
    WHERE p.id = s.learning_path_id AND p.user_id = %(user)s AND p.status = 'active'
      AND s.topic = %(topic)s AND NOT s.is_completed
    RETURNING s.learning_path_id, s.topic
), counted AS (
    UPDATE learning_paths p
    SET completed_milestones = p.completed_milestones + d.n, updated_at = %(now)s,
        status = CASE WHEN p.completed_milestones + d.n >= p.total_milestones THEN 'completed' ELSE p.status END
    FROM (SELECT learning_path_id, count(*) AS n FROM done GROUP BY learning_path_id) d
    WHERE p.id = d.learning_path_id
)
SELECT d.topic, p.name FROM done d JOIN learning_paths p ON p.id = d.learning_path_id ORDER BY p.name
"""


def milestones_reach(*, user_id, topic: str, topic_answered: int, topic_mastery: float, now) -> list[Reached]:
    """The milestones this answer completes (usually none, and then no statement is sent)."""
    if topic_answered < MILESTONE_MIN_ANSWERS or topic_mastery < MILESTONE_MASTERY:
        return []
    with connection.cursor() as cursor:
        cursor.execute(MILESTONES_REACH, {"user": user_id, "topic": topic, "now": now})
        return [Reached(topic=t, path=name) for t, name in cursor.fetchall()]
