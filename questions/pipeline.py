"""The pipeline's last stage, owned here because its output is questions: write questions from
a material's chunks (materials/services.py runs it; `QuestionsConfig.ready` registers it)."""

from django.conf import settings

from materials.models import JobType, Material, MaterialProcessingJob
from materials.services import job_complete, pipeline_extend, stage_output
from questions.generation import SourceChunk, get_generator
from questions.models import Question
from questions.services import question_create_from_draft
from studyin.rls import ROLE_SYSTEM, rls_context


def stage_generate_questions(job: MaterialProcessingJob) -> None:
    material = job.material
    with rls_context(user_id=material.user_id):
        material.refresh_from_db(fields=["topic"])
        sources = [
            SourceChunk(
                id=str(c.pk), text=c.content, page_number=c.page_number or 1, heading=c.metadata.get("heading", "")
            )
            for c in material.chunks.order_by("chunk_index")
        ]
        # Questions already answered stay; the new ones must not repeat them, nor the
        # student's questions from other materials.
        existing = list(
            Question.objects.filter(material__user_id=material.user_id)
            .exclude(material=material, times_answered=0, is_verified=False)
            .order_by("-created_at")
            .values_list("vignette", flat=True)[:2000]
        )
    result = get_generator().generate(
        chunks=sources, topic=material.topic, max_questions=settings.QUESTIONS_PER_MATERIAL, existing_vignettes=existing
    )
    with stage_output(job):
        questions_discard(material)
        for draft in result.questions:
            question_create_from_draft(draft=draft, material=material)
        job_complete(
            job,
            {"questions": len(result.questions), "dropped": result.dropped, "reasons": result.reasons},
            question_count=Question.objects.filter(material=material).count(),
        )


def questions_discard(material: Material) -> None:
    """Delete the material's questions that have no history: never answered (`times_answered`:
    row-level security hides other students' attempts from the owner, not the count) and not
    verified by staff. As `system`, because rows the owner cannot see refer to them (staff's
    moderation events, other students' flags and block items) and must go with them."""
    with rls_context(role=ROLE_SYSTEM):
        Question.objects.filter(material=material, times_answered=0, is_verified=False).delete()


def register() -> None:
    pipeline_extend(job_type=JobType.GENERATE_QUESTIONS, runner=stage_generate_questions, on_delete=questions_discard)
