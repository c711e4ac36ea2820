"""Learning paths (coach/paths.py): the DAG, the proposal, editing, and milestones reached inside
the answer path."""

import pytest
from django.db.models import Sum

from coach import paths
from coach.models import LearningPath, LearningPathStatus
from gamification.models import XPSource, XPTransaction
from gamification.services import XP_MILESTONE
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db


def test_a_cycle_is_refused_naming_it():
    with pytest.raises(paths.PathInvalid, match="in a circle: Physiology → Renal → Physiology"):
        paths.dag_check([("Physiology", ["Renal"]), ("Renal", ["Physiology"])])
    with pytest.raises(paths.PathInvalid, match="not a milestone"):
        paths.dag_check([("Renal", ["Anatomy"])])
    with pytest.raises(paths.PathInvalid, match="first"):
        paths.dag_check([("Pharmacology", ["Renal"]), ("Renal", [])])
    paths.dag_check([("Anatomy", []), ("Renal", ["Anatomy"]), ("Cardiology", ["Anatomy"]),
                     ("Pharmacology", ["Renal", "Cardiology"])])  # fmt: skip


def test_a_path_with_a_cycle_is_not_stored(student):
    with pytest.raises(paths.PathInvalid):
        paths.path_create(user=student, name="Loop", milestones=[("A", ["B"]), ("B", ["A"])])
    assert not LearningPath.objects.filter(user=student).exists()


def test_the_proposal_takes_weak_topics_and_material_topics_foundations_first(student):
    factories.MasteryLevelFactory(user=student, topic="Pharmacology", questions_answered=20, questions_correct=8)
    factories.MasteryLevelFactory(user=student, topic="Cardiology", questions_answered=20, questions_correct=12)
    factories.MasteryLevelFactory(user=student, topic="Renal", questions_answered=20, questions_correct=19)  # mastered
    factories.MaterialFactory(user=student, topic="Anatomy")
    factories.MaterialFactory(user=student, topic="Renal")
    proposal = paths.path_propose(user=student)
    assert [p.topic for p in proposal] == ["Anatomy", "Cardiology", "Pharmacology"]
    assert [p.prerequisites for p in proposal] == [(), ("Anatomy",), ("Cardiology",)]
    assert proposal[0].reason == "In your materials, not practised yet"
    assert proposal[1].reason == "60% right over 20 answers"


def _path(student, topics=(("Anatomy", []), ("Cardiology", ["Anatomy"]), ("Pharmacology", ["Cardiology"]))):
    return paths.path_create(user=student, name="Boards", milestones=list(topics))


def test_reordering_keeps_prerequisites_and_removing_inherits_them(student):
    path = _path(student, [("Anatomy", []), ("Cardiology", ["Anatomy"]), ("Renal", ["Anatomy"]),
                           ("Pharmacology", ["Cardiology", "Renal"])])  # fmt: skip
    cardio = path.milestones.get(topic="Cardiology")
    paths.milestone_move(path=path, milestone=cardio, offset=1)  # after Renal: allowed
    assert list(path.milestones.values_list("topic", flat=True)) == ["Anatomy", "Renal", "Cardiology", "Pharmacology"]
    with pytest.raises(paths.PathInvalid, match="needs “Anatomy” first"):
        paths.milestone_move(path=path, milestone=path.milestones.get(topic="Renal"), offset=-1)
    paths.milestone_remove(path=path, milestone=path.milestones.get(topic="Cardiology"))
    pharmacology = path.milestones.get(topic="Pharmacology")
    anatomy, renal = path.milestones.get(topic="Anatomy"), path.milestones.get(topic="Renal")
    assert set(pharmacology.prerequisites) == {str(anatomy.pk), str(renal.pk)}
    path.refresh_from_db()
    assert (path.total_milestones, path.completed_milestones) == (3, 0)
    assert [m.milestone_order for m in path.milestones.all()] == [1, 2, 3]
    assert [t["topic"] for t in path.topic_tree["topics"]] == ["Anatomy", "Renal", "Pharmacology"]


def test_a_milestone_completes_inside_the_answer_path_and_earns_xp_once(student):
    path = _path(student)
    questions = [factories.QuestionFactory(is_verified=True, topic="Cardiology") for _ in range(12)]
    outcomes = [answer(student, q) for q in questions[: paths.MILESTONE_MIN_ANSWERS - 1]]
    assert all(not o.reward.milestones for o in outcomes)
    reached = answer(student, questions[paths.MILESTONE_MIN_ANSWERS - 1])  # the tenth right answer
    assert reached.reward.milestones == ["Cardiology"]
    assert answer(student, questions[10]).reward.milestones == []  # reached once
    path.refresh_from_db()
    assert (path.completed_milestones, path.total_milestones, path.status) == (1, 3, LearningPathStatus.ACTIVE)
    assert path.milestones.get(topic="Cardiology").is_completed
    ledger = XPTransaction.objects.filter(user=student, source=XPSource.MILESTONE_COMPLETE)
    assert [t.amount for t in ledger] == [XP_MILESTONE]
    student.refresh_from_db()
    assert student.xp == XPTransaction.objects.filter(user=student).aggregate(s=Sum("amount"))["s"]


def test_the_last_milestone_completes_the_path_and_mastery_below_the_mark_does_not(student):
    path = _path(student, [("Cardiology", [])])
    questions = [factories.QuestionFactory(is_verified=True, topic="Cardiology") for _ in range(15)]
    for q in questions[:3]:
        answer(student, q, correct=False)
    for q in questions[3:14]:
        assert answer(student, q).reward.milestones == []  # at most 11 of 14 right: 79 %
    assert answer(student, questions[14]).reward.milestones == ["Cardiology"]  # 12 of 15: 80 %
    path.refresh_from_db()
    assert path.status == LearningPathStatus.COMPLETED and path.completed_milestones == 1


def test_a_milestone_on_a_topic_already_mastered_is_done_from_the_start(student):
    factories.MasteryLevelFactory(user=student, topic="Anatomy", questions_answered=12, questions_correct=11)
    path = _path(student)
    path.refresh_from_db()
    assert path.milestones.get(topic="Anatomy").is_completed and path.completed_milestones == 1
    assert not XPTransaction.objects.filter(user=student, source=XPSource.MILESTONE_COMPLETE).exists()
