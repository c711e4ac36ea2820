"""Writes for questions: storing generated questions, students' flags, staff moderation."""

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditAction, User
from materials.models import Material
from medtext.vocabulary import organ_system
from questions.generation import DraftQuestion
from questions.models import (
    Difficulty,
    FlagReason,
    FlagStatus,
    ModerationAction,
    Question,
    QuestionExplanation,
    QuestionFlag,
    QuestionModerationEvent,
    QuestionOption,
)
from questions.selectors import questions_visible_to


def question_create_from_draft(*, draft: DraftQuestion, material: Material | None) -> Question:
    """Store a generated question, unverified (it goes to the moderation queue).

    `question_options` rows are the source of truth for the options (they carry the rationale);
    `questions.options` is their text in order, written in the same transaction (DESIGN.md item 7).
    """
    with transaction.atomic():
        question = Question.objects.create(
            material=material,
            vignette=draft.vignette,
            options=list(draft.options),
            correct_index=draft.correct_index,
            explanation=draft.explanation,
            topic=(draft.topic or (material.topic if material else "") or "General")[:255],
            subtopic=draft.subtopic[:255] or None,
            organ_system=organ_system(draft.options[draft.correct_index], draft.vignette),
            difficulty=draft.difficulty,
            quality_score=min(1.0, max(0.0, draft.quality_score)),
            generation_score=min(1.0, max(0.0, draft.quality_score)),
            quality_reasons=list(draft.quality_reasons),
            is_verified=False,
            metadata={"source_chunk_id": draft.source_chunk_id, "generated": True},
        )
        QuestionOption.objects.bulk_create(
            QuestionOption(question=question, option_index=i, option_text=text, rationale=rationale or None)
            for i, (text, rationale) in enumerate(zip(draft.options, draft.option_rationales, strict=True))
        )
        QuestionExplanation.objects.create(
            question=question,
            correct_explanation=draft.explanation,
            incorrect_explanations={
                str(i): rationale for i, rationale in enumerate(draft.option_rationales) if i != draft.correct_index
            },
            pathophysiology=draft.pathophysiology or None,
            clinical_relevance=draft.clinical_relevance or None,
            references=draft.references,
        )
    return question


# --- Flagging and moderation -----------------------------------------------------------------
# Every staff change writes one QuestionModerationEvent per question it actually changed, in the
# same transaction, with details {field: [before, after]}: the history shown on the question.


class QuestionNotVisible(ValueError):
    """The question is not in the user's bank (neither verified nor from their own material)."""


def question_flag(*, user: User, question: Question, reason: str, comment: str = "") -> QuestionFlag:
    """A student reports a problem. One open flag per student and question: reporting the same
    question again updates it. The flag row is the record of who reported what (students may
    not write the moderation history; row-level security)."""
    if reason not in FlagReason.values:
        raise ValueError(f"Unknown flag reason {reason!r}.")
    with transaction.atomic():
        if not questions_visible_to(user=user).filter(pk=question.pk).exists():
            raise QuestionNotVisible("This question is not in your question bank.")
        mine = QuestionFlag.objects.filter(question=question, user=user, status=FlagStatus.OPEN)
        flag = mine.select_for_update().first()
        if flag is None:
            try:
                with transaction.atomic():
                    flag = QuestionFlag.objects.create(question=question, user=user, reason=reason, comment=comment)
            except IntegrityError:
                # The same student's report sent twice at once: the other one created the open
                # flag (unique_open_flag_per_user), so this one updates it.
                flag = mine.select_for_update().get()
        if (flag.reason, flag.comment) != (reason, comment):
            flag.reason, flag.comment = reason, comment
            flag.save(update_fields=["reason", "comment"])
        Question.objects.filter(pk=question.pk, is_flagged=False).update(is_flagged=True)
        question.is_flagged = True
    return flag


def question_flags_close(*, staff: User, flags: QuerySet[QuestionFlag], status: str) -> int:
    """Resolve or dismiss open flags; flags already closed are left as they are."""
    if status not in (FlagStatus.RESOLVED, FlagStatus.DISMISSED):
        raise ValueError(f"A flag is closed as resolved or dismissed, not {status!r}.")
    with transaction.atomic():
        closed = flags.filter(status=FlagStatus.OPEN).update(
            status=status, resolved_at=timezone.now(), resolved_by=staff
        )
        if closed:
            audit_record(
                action=AuditAction.MODERATION, actor=staff, details={"action": f"flags_{status}", "flags": closed}
            )
        return closed


def _questions_set(
    *,
    staff: User,
    questions: QuerySet[Question],
    action: str,
    field: str,
    value: Any,
    also: Q | None = None,
    details: dict | None = None,
    details_for: Mapping[UUID, dict] | None = None,
) -> int:
    """Set `field` to `value` where it differs (or `also` holds), logging one event per question.

    Runs inside the caller's transaction. The rows are locked so that two staff members doing
    the same thing at once log the change once, not twice.
    """
    # Through the ids: the admin's queryset may carry outer joins, which FOR UPDATE refuses.
    selected = Question.objects.filter(pk__in=questions.values("pk"))
    changing = ~Q(**{field: value})
    if also is not None:
        changing |= also
    before = dict(selected.filter(changing).select_for_update().order_by("pk").values_list("pk", field))
    if before:
        Question.objects.filter(pk__in=before).update(**{field: value})
        QuestionModerationEvent.objects.bulk_create(
            QuestionModerationEvent(
                question_id=pk,
                staff=staff,
                action=action,
                details={field: [old, value], **(details or {}), **(details_for or {}).get(pk, {})},
            )
            for pk, old in before.items()
        )
        audit_record(action=AuditAction.MODERATION, actor=staff,
                     details={"action": str(action), "field": field, "questions": sorted(str(pk) for pk in before)})  # fmt: skip
    return len(before)


def questions_verify(*, staff: User, questions: QuerySet[Question]) -> int:
    with transaction.atomic():
        return _questions_set(
            staff=staff, questions=questions, action=ModerationAction.VERIFY, field="is_verified", value=True
        )


def questions_unverify(*, staff: User, questions: QuerySet[Question]) -> int:
    with transaction.atomic():
        return _questions_set(
            staff=staff, questions=questions, action=ModerationAction.UNVERIFY, field="is_verified", value=False
        )


def questions_flag(*, staff: User, questions: QuerySet[Question], reason: str = "") -> int:
    """Staff put questions in the Flagged queue; the reason, if given, goes into the history."""
    if reason and reason not in FlagReason.values:
        raise ValueError(f"Unknown flag reason {reason!r}.")
    with transaction.atomic():
        return _questions_set(
            staff=staff,
            questions=questions,
            action=ModerationAction.FLAG,
            field="is_flagged",
            value=True,
            details={"reason": reason} if reason else None,
        )


def questions_unflag(*, staff: User, questions: QuerySet[Question]) -> int:
    """Take questions off the Flagged queue and resolve the students' open flags on them.

    A question with open flags counts as changed even if it was no longer `is_flagged`.
    """
    with transaction.atomic():
        # Lock the questions before counting their flags: a second unflag waits here and then
        # finds nothing left to do, instead of logging the same unflag again.
        ids = list(
            Question.objects.filter(pk__in=questions.values("pk")).select_for_update().values_list("pk", flat=True)
        )
        open_flags = QuestionFlag.objects.filter(question_id__in=ids, status=FlagStatus.OPEN)
        flag_counts = dict(
            open_flags.order_by().values("question_id").annotate(n=Count("pk")).values_list("question_id", "n")
        )
        changed = _questions_set(
            staff=staff,
            questions=Question.objects.filter(pk__in=ids),
            action=ModerationAction.UNFLAG,
            field="is_flagged",
            value=False,
            also=Q(pk__in=list(flag_counts)),
            details_for={pk: {"resolved_flags": n} for pk, n in flag_counts.items()},
        )
        question_flags_close(staff=staff, flags=open_flags, status=FlagStatus.RESOLVED)
    return changed


def questions_set_topic(*, staff: User, questions: QuerySet[Question], topic: str) -> int:
    topic = topic.strip()
    if not topic or len(topic) > Question._meta.get_field("topic").max_length:
        raise ValueError("A topic is 1 to 255 characters long.")
    with transaction.atomic():
        return _questions_set(
            staff=staff, questions=questions, action=ModerationAction.CHANGE_TOPIC, field="topic", value=topic
        )


def questions_set_difficulty(*, staff: User, questions: QuerySet[Question], difficulty: str) -> int:
    if difficulty not in Difficulty.values:
        raise ValueError(f"Unknown difficulty {difficulty!r}.")
    with transaction.atomic():
        return _questions_set(
            staff=staff,
            questions=questions,
            action=ModerationAction.CHANGE_DIFFICULTY,
            field="difficulty",
            value=difficulty,
        )


def question_edited(
    *, staff: User, question: Question, changed_fields: Mapping[str, tuple[Any, Any]]
) -> QuestionModerationEvent | None:
    """Log an edit made on the question's admin page: {field: [before, after]} for each field
    (option and explanation fields are named like "options[1].option_text")."""
    if not changed_fields:
        return None
    details = {name: [_jsonable(before), _jsonable(after)] for name, (before, after) in changed_fields.items()}
    with transaction.atomic():
        audit_record(action=AuditAction.MODERATION, actor=staff,
                     details={"action": str(ModerationAction.EDIT), "fields": sorted(details), "questions": [str(question.pk)]})  # fmt: skip
        return QuestionModerationEvent.objects.create(
            question=question, staff=staff, action=ModerationAction.EDIT, details=details
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        value = value.pk
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
