"""Writes for questions."""

from django.db import transaction

from materials.models import Material
from questions.generation import DraftQuestion
from questions.models import Question, QuestionExplanation, QuestionOption


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
            difficulty=draft.difficulty,
            quality_score=min(1.0, max(0.0, draft.quality_score)),
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
