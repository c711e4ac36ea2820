"""Writes for materials: upload, the processing pipeline, retry, reprocess, delete.

The pipeline (DESIGN.md "Processing pipeline") has one `material_processing_jobs` row per stage,
run in the order of STAGES. Running a stage:
1. claims its row with a conditional update (pending -> running), so two workers never both
   run it and a redelivered task finds nothing to do;
2. does the slow work (parsing, embedding, generating) outside any transaction;
3. replaces its own output and completes its row in one transaction, so a re-run never
   duplicates anything and a killed worker leaves either the old output or the new one;
4. returns the next stage's job, for the caller (a Celery task, or `ingest`) to run.
A permanent error fails the row with a message a student can read. A transient one puts the row
back to pending and is raised again for the Celery task to retry with backoff. The reaper
(`jobs_reap`) recovers rows left running by a worker that died.

Workers act as the material's owner (row-level security context `app.current_user_id`), not
with a broad role: only the reaper, which looks at everyone's jobs, runs as `system`.
"""

import datetime
import logging
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import PurePath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import User
from materials.chunking import chunk_pages
from materials.embeddings import EmbeddingError, get_embedder
from materials.models import (
    JobStatus,
    JobType,
    Material,
    MaterialChunk,
    MaterialPage,
    MaterialProcessingJob,
    MaterialTag,
    ProcessingStatus,
)
from materials.parsing import FILE_TYPES, Page, ParseError, UnsupportedFile, detect_file_type, parse_document
from materials.tagging import auto_tags
from questions.generation import GenerationError, SourceChunk, get_generator
from questions.models import Question
from questions.services import question_create_from_draft
from studyin.rls import ROLE_SYSTEM, rls_context

logger = logging.getLogger(__name__)

STAGES = [JobType.PARSE, JobType.EMBED, JobType.ANALYZE, JobType.GENERATE_QUESTIONS]
MIME_TO_KIND = {mime: kind for kind, mime in FILE_TYPES.items()}


class UploadRejected(ValueError):
    """The upload cannot be processed; the message says why, for the form."""


# --- Upload, retry, reprocess, delete (run inside the student's request) ---------------------


def material_upload(
    *,
    user: User,
    file: File,
    title: str = "",
    description: str = "",
    topic: str = "",
    tags: Sequence[str] = (),
    enqueue: bool = True,
) -> Material:
    """Store the file, create the material and its stage rows, and queue the first stage
    (unless `enqueue` is off: `ingest` runs the stages itself)."""
    limit = settings.MATERIAL_MAX_UPLOAD_BYTES
    if not file.size:
        raise UploadRejected("The file is empty.")
    if file.size > limit:
        raise UploadRejected(f"The file is {file.size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB.")
    try:
        kind = detect_file_type(file, filename=file.name)
    except UnsupportedFile as exc:
        raise UploadRejected(str(exc)) from exc

    material_id = uuid.uuid4()
    filename = _storage_name(file.name, kind)
    path = default_storage.save(f"materials/{user.pk}/{material_id}/{filename}", file)
    try:
        with transaction.atomic():
            material = Material.objects.create(
                id=material_id,
                user=user,
                filename=filename[:255],
                file_path=path,
                file_size=file.size,
                file_type=FILE_TYPES[kind],
                title=(title.strip() or PurePath(filename).stem.replace("_", " "))[:500],
                description=description.strip() or None,
                topic=topic.strip() or None,
            )
            _tags_replace(material, tags, auto=False)
            jobs = MaterialProcessingJob.objects.bulk_create(
                MaterialProcessingJob(material=material, job_type=stage) for stage in STAGES
            )
            if enqueue:
                transaction.on_commit(partial(_enqueue, jobs[0].id, user.pk))
    except BaseException:
        default_storage.delete(path)  # nothing refers to it: no orphan files
        raise
    return material


def material_stage_retry(*, material: Material, job_type: str) -> bool:
    """Run a failed stage again (the stages after it follow). False if it had not failed."""
    with transaction.atomic():
        job = MaterialProcessingJob.objects.filter(material=material, job_type=job_type).first()
        failed = MaterialProcessingJob.objects.filter(pk=getattr(job, "pk", None), status=JobStatus.FAILED)
        if not failed.update(
            status=JobStatus.PENDING, error_message=None, started_at=None, completed_at=None, attempts=0
        ):
            return False
        _material_status_refresh(material.pk)
        transaction.on_commit(partial(_enqueue, job.pk, material.user_id))
    return True


def material_reprocess(*, material: Material) -> bool:
    """Run every stage again from the start. False while a stage is running."""
    with transaction.atomic():
        jobs = MaterialProcessingJob.objects.select_for_update().filter(material=material)
        if any(job.status == JobStatus.RUNNING for job in jobs):
            return False
        jobs.update(
            status=JobStatus.PENDING, error_message=None, started_at=None, completed_at=None, result={}, attempts=0
        )
        _material_status_refresh(material.pk)
        first = jobs.get(job_type=STAGES[0])
        transaction.on_commit(partial(_enqueue, first.pk, material.user_id))
    return True


def material_delete(*, material: Material) -> None:
    """Delete a material with its pages, chunks, jobs, tags and unanswered questions.

    Answered and verified questions stay, with material_id NULL (seed 000): they have a history.
    """
    with transaction.atomic():
        _questions_discard(material)
        path = material.file_path
        material.delete()
        transaction.on_commit(partial(default_storage.delete, path))


# --- Running stages (workers, or `ingest`) -----------------------------------------------------


def job_run(*, job_id: uuid.UUID | str, user_id: uuid.UUID | str) -> MaterialProcessingJob | None:
    """Run one stage if it is pending; return the next stage's job when that should run now."""
    with rls_context(user_id=user_id):
        claimed = MaterialProcessingJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now(),
            completed_at=None,
            error_message=None,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None  # done, failed, or another worker has it
        job = MaterialProcessingJob.objects.select_related("material").get(pk=job_id)
        _material_status_refresh(job.material_id)

    try:
        STAGE_RUNNERS[job.job_type](job)
    except TRANSIENT_ERRORS as exc:
        _job_finish(job, JobStatus.PENDING, f"Retrying after a temporary error: {exc}")
        raise
    except PERMANENT_ERRORS as exc:
        _job_finish(job, JobStatus.FAILED, _failure_message(exc))
        return None
    except Exception as exc:
        logger.exception("stage %s of material %s failed", job.job_type, job.material_id)
        _job_finish(job, JobStatus.FAILED, f"Unexpected error ({exc.__class__.__name__}); staff have been notified.")
        return None

    with rls_context(user_id=user_id):
        following = STAGES.index(job.job_type) + 1
        if following == len(STAGES):
            return None
        return MaterialProcessingJob.objects.filter(
            material_id=job.material_id, job_type=STAGES[following], status=JobStatus.PENDING
        ).first()


def job_give_up(*, job_id: uuid.UUID | str, user_id: uuid.UUID | str, message: str) -> None:
    """A stage whose transient errors did not clear up: fail it for good."""
    with rls_context(user_id=user_id):
        job = MaterialProcessingJob.objects.filter(pk=job_id).first()
        if job:
            _job_finish(job, JobStatus.FAILED, message, expect=(JobStatus.PENDING, JobStatus.RUNNING))


def material_process_now(*, material: Material) -> list[MaterialProcessingJob]:
    """Run the pending stages in this process, in order (`ingest`); return the job rows after."""
    with rls_context(user_id=material.user_id):
        pending = {
            j.job_type: j for j in MaterialProcessingJob.objects.filter(material=material, status=JobStatus.PENDING)
        }
    job = next((pending[stage] for stage in STAGES if stage in pending), None)
    while job:
        try:
            job = job_run(job_id=job.pk, user_id=material.user_id)
        except TRANSIENT_ERRORS as exc:
            job_give_up(job_id=job.pk, user_id=material.user_id, message=f"Temporary error, not retried here: {exc}")
            break
    with rls_context(user_id=material.user_id):
        return sorted(MaterialProcessingJob.objects.filter(material=material), key=lambda j: STAGES.index(j.job_type))


def jobs_reap(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Recover stages left running by a worker that died: run them again, or, after
    JOB_MAX_ATTEMPTS runs, fail them. Runs on a schedule, as `system` (it sees every user's jobs)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=settings.JOB_STUCK_AFTER_SECONDS)
    counts = {"requeued": 0, "failed": 0}
    with rls_context(role=ROLE_SYSTEM):
        stuck = MaterialProcessingJob.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff)
        for job in stuck.select_related("material"):
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                message = f"Stopped after {job.attempts} attempts: the worker running it stopped responding."
                if _job_finish(job, JobStatus.FAILED, message, expect=(JobStatus.RUNNING,)):
                    counts["failed"] += 1
            elif _job_finish(job, JobStatus.PENDING, "Restarted: the worker running it stopped responding.",
                             expect=(JobStatus.RUNNING,)):  # fmt: skip
                transaction.on_commit(partial(_enqueue, job.pk, job.material.user_id))
                counts["requeued"] += 1
    return counts


# --- The stages --------------------------------------------------------------------------------


def _stage_parse(job: MaterialProcessingJob) -> None:
    material = job.material
    try:
        with default_storage.open(material.file_path, "rb") as fh:
            pages = parse_document(fh, file_type=MIME_TO_KIND.get(material.file_type) or "text")
    except FileNotFoundError as exc:
        raise ParseError("The uploaded file is missing from storage; upload it again.") from exc
    with _owner_transaction(material):
        MaterialPage.objects.filter(material=material).delete()
        MaterialPage.objects.bulk_create(
            MaterialPage(material=material, page_number=p.number, heading=p.heading[:500], text=p.text) for p in pages
        )
        _job_complete(job, {"pages": len(pages), "characters": sum(len(p.text) for p in pages)})


def _stage_embed(job: MaterialProcessingJob) -> None:
    material = job.material
    with rls_context(user_id=material.user_id):
        pages = [Page(number=p.page_number, text=p.text, heading=p.heading) for p in material.pages.all()]
    chunks = chunk_pages(pages, size=settings.CHUNK_SIZE, overlap=settings.CHUNK_OVERLAP)
    headings = {p.number: p.heading for p in pages}
    embedder = get_embedder()
    vectors: list[list[float]] = []
    batch = settings.EMBEDDING_BATCH_SIZE
    for start in range(0, len(chunks), batch):
        vectors += embedder.embed([c.text for c in chunks[start : start + batch]])
        _job_progress(job, done=len(vectors), total=len(chunks))
    with _owner_transaction(material):
        MaterialChunk.objects.filter(material=material).delete()
        MaterialChunk.objects.bulk_create(
            MaterialChunk(
                material=material,
                content=chunk.text,
                embedding=vector,
                page_number=chunk.page_number,
                chunk_index=chunk.index,
                char_start=chunk.char_start,
                char_end=chunk.char_end,
                metadata={"heading": headings.get(chunk.page_number, ""), "embedder": embedder.name},
            )
            for chunk, vector in zip(chunks, vectors, strict=True)
        )
        Material.objects.filter(pk=material.pk).update(chunk_count=len(chunks))
        _job_complete(job, {"chunks": len(chunks), "embedder": embedder.name, "dimensions": embedder.dimensions})


def _stage_analyze(job: MaterialProcessingJob) -> None:
    material = job.material
    with rls_context(user_id=material.user_id):
        text = "\n\n".join(material.pages.values_list("text", flat=True))
    tags = auto_tags(text=text)
    with _owner_transaction(material):
        _tags_replace(material, tags, auto=True)
        topic = next((t.tag for t in tags if t.category == "topic"), None)
        if topic and not material.topic:
            Material.objects.filter(pk=material.pk).update(topic=topic)
        _job_complete(job, {"tags": [{"tag": t.tag, "category": t.category, "confidence": t.confidence} for t in tags]})


def _stage_generate_questions(job: MaterialProcessingJob) -> None:
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
    with _owner_transaction(material):
        _questions_discard(material)
        for draft in result.questions:
            question_create_from_draft(draft=draft, material=material)
        Material.objects.filter(pk=material.pk).update(
            question_count=Question.objects.filter(material=material).count()
        )
        _job_complete(job, {"questions": len(result.questions), "dropped": result.dropped, "reasons": result.reasons})


STAGE_RUNNERS: dict[str, Callable[[MaterialProcessingJob], None]] = {
    JobType.PARSE: _stage_parse,
    JobType.EMBED: _stage_embed,
    JobType.ANALYZE: _stage_analyze,
    JobType.GENERATE_QUESTIONS: _stage_generate_questions,
}


def _transient_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from materials.embeddings import TransientEmbeddingError
    from questions.generation import TransientGenerationError

    return (TransientEmbeddingError, TransientGenerationError, OperationalError, InterfaceError, RedisConnectionError)


TRANSIENT_ERRORS = _transient_errors()
PERMANENT_ERRORS = (ParseError, EmbeddingError, GenerationError, SoftTimeLimitExceeded)


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"The stage took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT // 60} minutes and was stopped."
    return str(exc) or exc.__class__.__name__


# --- Helpers -----------------------------------------------------------------------------------


def _enqueue(job_id: uuid.UUID, user_id: uuid.UUID) -> None:
    from materials.tasks import stage_run

    stage_run.delay(str(job_id), str(user_id))


def _owner_transaction(material: Material):
    return rls_context(user_id=material.user_id)


def _job_complete(job: MaterialProcessingJob, result: dict) -> None:
    """Inside the stage's output transaction: the row and the output commit together."""
    MaterialProcessingJob.objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETED, completed_at=timezone.now(), error_message=None, result=result
    )
    _material_status_refresh(job.material_id)


def _job_finish(job: MaterialProcessingJob, status: str, message: str, *, expect=(JobStatus.RUNNING,)) -> bool:
    with rls_context(user_id=job.material.user_id):
        changed = MaterialProcessingJob.objects.filter(pk=job.pk, status__in=expect).update(
            status=status, error_message=message, completed_at=None
        )
        _material_status_refresh(job.material_id)
    return bool(changed)


def _job_progress(job: MaterialProcessingJob, *, done: int, total: int) -> None:
    # Its own short transaction, so the progress bar moves while the stage is still working.
    with rls_context(user_id=job.material.user_id):
        MaterialProcessingJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            result={"done": done, "total": total}
        )


def _material_status_refresh(material_id: uuid.UUID) -> None:
    """materials.processing_status (and its error) from the job rows: the rows are the truth."""
    jobs = {j.job_type: j for j in MaterialProcessingJob.objects.filter(material_id=material_id)}
    failed = [jobs[s] for s in STAGES if s in jobs and jobs[s].status == JobStatus.FAILED]
    statuses = {j.status for j in jobs.values()}
    fields: dict = {"processing_error": None}
    if failed:
        fields.update(
            processing_status=ProcessingStatus.FAILED,
            processing_error=f"{failed[0].get_job_type_display()}: {failed[0].error_message}",
        )
    elif statuses == {JobStatus.COMPLETED}:
        fields.update(processing_status=ProcessingStatus.COMPLETED, processed_at=timezone.now())
    elif statuses == {JobStatus.PENDING}:
        fields.update(processing_status=ProcessingStatus.PENDING)
    else:
        fields.update(processing_status=ProcessingStatus.PROCESSING)
    Material.objects.filter(pk=material_id).update(**fields)


def _storage_name(name: str, kind: str) -> str:
    """A safe, short file name (file systems allow 255 bytes; emoji-only names have none)."""
    path = PurePath(name or "")
    try:
        stem = get_valid_filename(path.stem[:100])
    except SuspiciousFileOperation:
        stem = "upload"
    return f"{stem}{path.suffix[:10].lower() if path.suffix.isascii() else ''}" or f"upload.{kind}"


def _questions_discard(material: Material) -> None:
    """Delete the material's questions that have no history: never answered (`times_answered`:
    row-level security hides other students' attempts from the owner, not the count) and not
    verified by staff. As `system`, because rows the owner cannot see refer to them (staff's
    moderation events, other students' flags and block items) and must go with them."""
    with rls_context(role=ROLE_SYSTEM):
        Question.objects.filter(material=material, times_answered=0, is_verified=False).delete()


def _tags_replace(material: Material, tags, *, auto: bool) -> None:
    """Replace the material's user tags (strings) or automatic tags (AutoTag); keep the
    `materials.tags` JSON list equal to the tag rows (the rows are the truth)."""
    MaterialTag.objects.filter(material=material, is_auto_generated=auto).delete()
    taken = {t.lower() for t in MaterialTag.objects.filter(material=material).values_list("tag", flat=True)}
    rows = []
    for tag in tags:
        name, category, confidence = (
            (tag, None, None) if isinstance(tag, str) else (tag.tag, tag.category, tag.confidence)
        )
        name = name.strip()[:100]
        if name and name.lower() not in taken:
            taken.add(name.lower())
            rows.append(MaterialTag(material=material, tag=name, category=category, confidence=confidence,
                                    is_auto_generated=auto))  # fmt: skip
    MaterialTag.objects.bulk_create(rows)
    Material.objects.filter(pk=material.pk).update(
        tags=sorted(MaterialTag.objects.filter(material=material).values_list("tag", flat=True), key=str.lower)
    )
