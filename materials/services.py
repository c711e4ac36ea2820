"""Writes for materials: upload, the processing pipeline, retry, reprocess, delete.

The pipeline (DESIGN.md "Processing pipeline") has one `material_processing_jobs` row per stage,
run in the order of STAGES. Running a stage:
1. claims its row with a conditional update (pending, or running under a lapsed lease, becomes
   running with a fresh `claim_id` and a lease of JOB_LEASE_SECONDS), so two workers never both
   run it and a redelivered task finds nothing to do while the claim is alive;
2. does the slow work (parsing, embedding, generating) outside any transaction, while a thread
   renews the lease;
3. replaces its own output and completes its row in one transaction that first locks the row and
   checks the claim is still this run's, so a re-run never duplicates anything, a killed worker
   leaves either the old output or the new one, and a run that lost its claim writes nothing;
4. returns the next stage's job, for the caller (a Celery task, or `ingest`) to run.
A permanent error fails the row with a message a student can read, and ends the stages after it.
A transient one puts the row back to pending and is raised again for the Celery task to retry
with backoff. The reaper (`jobs_reap`, every minute) takes over stages whose lease lapsed (their
worker died) and sends again stages that no worker received.

Transactions: the upload, retry, reprocess and delete services run inside the student's request
transaction (studyin/rls.py) and queue work with `on_commit`. The stage functions run in a task
or a command, outside any transaction, and each of their steps is its own short transaction.

Workers act as the material's owner (row-level security context `app.current_user_id`), not
with a broad role: only the reaper, which looks at everyone's jobs, runs as `system`.
"""

import datetime
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import PurePath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import BooleanField, DateTimeField, Exists, ExpressionWrapper, F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.models import User
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
from materials.parsing import (
    FILE_TYPES,
    Page,
    ParseError,
    UnsupportedFile,
    detect_file_type,
    memory_limit,
    parse_document,
)
from materials.tagging import auto_tags
from medtext.chunking import chunk_pages
from medtext.embeddings import get_embedder
from medtext.errors import ServiceError
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
                _job_queue(jobs[0])
    except BaseException:
        default_storage.delete(path)  # nothing refers to it: no orphan files
        raise
    return material


def material_stage_retry(*, material: Material, job_type: str) -> bool:
    """Run a stage again, with the stages after it: one that failed, or one whose worker died
    (its claim lapsed). False otherwise, or while an earlier stage has failed (retry that one)."""
    with transaction.atomic():
        jobs = _jobs_locked(material.pk)
        job = jobs.get(job_type)
        earlier_failed = any(jobs[s].status == JobStatus.FAILED for s in STAGES[: STAGES.index(job_type)] if s in jobs)
        if job is None or earlier_failed or not (job.status == JobStatus.FAILED or job.lapsed):
            return False
        _stages_reset(material, STAGES[STAGES.index(job_type) :])
    return True


def material_reprocess(*, material: Material) -> bool:
    """Run every stage again from the start. False while a worker is running a stage."""
    with transaction.atomic():
        jobs = _jobs_locked(material.pk)
        if any(job.status == JobStatus.RUNNING and not job.lapsed for job in jobs.values()):
            return False
        _stages_reset(material, STAGES)
    return True


def _material_locked(material_id) -> None:
    """Lock the material's row. Whatever changes several of a material's job rows (a retry, a
    reprocess, a stage finishing or failing, the reaper) takes this lock first, so they queue
    behind each other instead of locking job rows in different orders (a deadlock)."""
    list(Material.objects.select_for_update().filter(pk=material_id).values_list("pk", flat=True))


def _jobs_locked(material_id) -> dict[str, MaterialProcessingJob]:
    """The material's job rows, locked, each with `lapsed` (its lease ran out by the
    database's clock, the clock that wrote it)."""
    _material_locked(material_id)
    rows = MaterialProcessingJob.objects.select_for_update().filter(material_id=material_id)
    lapsed = ExpressionWrapper(Q(status=JobStatus.RUNNING, lease_expires_at__lt=Now()), output_field=BooleanField())
    return {j.job_type: j for j in rows.annotate(lapsed=lapsed)}


def _stages_reset(material: Material, stages: Sequence[str]) -> None:
    """Put `stages` back to pending (dropping any claim) and queue the first of them."""
    MaterialProcessingJob.objects.filter(material=material, job_type__in=stages).update(
        status=JobStatus.PENDING, error_message=None, started_at=None, completed_at=None, result={}, attempts=0,
        claim_id=None, claimed_by="", lease_expires_at=None, queued_at=None,
    )  # fmt: skip
    first = MaterialProcessingJob.objects.get(material=material, job_type=stages[0])
    _job_queue(first)
    _material_status_refresh(material.pk)


def material_delete(*, material: Material) -> None:
    """Delete a material with its pages, chunks, jobs, tags and unanswered questions.

    Answered and verified questions stay, with material_id NULL (seed 000): they have a history.
    """
    with transaction.atomic():
        for discard in DELETE_HOOKS:
            discard(material)
        path = material.file_path
        material.delete()
        transaction.on_commit(partial(default_storage.delete, path))


def materials_erase(user) -> list[str]:
    """The erasure hook (accounts/gdpr.py): each of the student's materials loses what its
    stages made (the DELETE_HOOKS: unanswered questions), and their files are returned to be
    deleted after the commit; the rows themselves go with the user."""
    paths = []
    for material in Material.objects.filter(user=user):
        for discard in DELETE_HOOKS:
            discard(material)
        paths.append(material.file_path)
    return paths


# --- Running stages (workers, or `ingest`) -----------------------------------------------------


class LeaseLost(Exception):
    """This run's claim on the stage lapsed and another run took the stage over."""


def job_run(
    *, job_id: uuid.UUID | str, user_id: uuid.UUID | str, last_try: bool = False
) -> MaterialProcessingJob | None:
    """Run one stage if it is pending (or its last worker died); return the next stage's job
    when that should run now. A transient error puts the stage back to pending and is raised
    for the caller to retry; on the `last_try` it fails the stage instead, under this run's
    claim (so it can never fail a run that took the stage over meanwhile)."""
    job = _job_claim(job_id=job_id, user_id=user_id)
    if job is None:
        return None  # done, failed, or a live worker has it
    try:
        with _lease_renewed(job):
            STAGE_RUNNERS[job.job_type](job)
    except LeaseLost:
        logger.warning("stage %s of material %s: claim lapsed, another run took over", job.job_type, job.material_id)
        return None
    except TRANSIENT_ERRORS as exc:
        if last_try:
            _job_finish(job, JobStatus.FAILED, f"Gave up after {job.attempts} attempts: {exc}")
            return None
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


def _job_claim(*, job_id, user_id) -> MaterialProcessingJob | None:
    """Claim the stage with a conditional update: pending, or running under a lapsed lease
    (its worker died) with runs left, and only once every stage before it has completed (a late
    retry of a stage that "Process again" put back must not run ahead of its input). Two
    workers can never both hold it."""
    lapsed = Q(status=JobStatus.RUNNING, lease_expires_at__lt=Now(), attempts__lt=settings.JOB_MAX_ATTEMPTS)
    with rls_context(user_id=user_id):
        row = MaterialProcessingJob.objects.filter(pk=job_id).values("material_id", "job_type").first()
        if row is None:
            return None
        _material_locked(row["material_id"])
        earlier = MaterialProcessingJob.objects.filter(
            material_id=row["material_id"], job_type__in=STAGES[: STAGES.index(row["job_type"])]
        ).exclude(status=JobStatus.COMPLETED)
        claimable = MaterialProcessingJob.objects.filter(Q(status=JobStatus.PENDING) | lapsed, pk=job_id)
        claimed = claimable.exclude(Exists(earlier)).update(
            status=JobStatus.RUNNING,
            claim_id=uuid.uuid4(),
            claimed_by=f"{socket.gethostname()}:{os.getpid()}",  # for staff; the claim is claim_id
            lease_expires_at=_lease_end(),
            started_at=Now(),
            completed_at=None,
            error_message=None,
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        job = MaterialProcessingJob.objects.select_related("material").get(pk=job_id)
        _material_status_refresh(job.material_id)
    return job


def _lease_end():
    return ExpressionWrapper(
        Now() + datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS), output_field=DateTimeField()
    )


@contextmanager
def _lease_renewed(job: MaterialProcessingJob):
    """Renew the claim's lease from a thread while the stage works, a third of a lease apart.

    The renewal skips a row that is locked (by this stage's own output transaction, or a retry
    being decided) rather than wait on it; a missed beat costs nothing, as the lease is three.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.JOB_LEASE_SECONDS / 3):
            try:
                with rls_context(user_id=job.material.user_id):
                    mine = MaterialProcessingJob.objects.select_for_update(skip_locked=True).filter(
                        pk=job.pk, claim_id=job.claim_id, status=JobStatus.RUNNING
                    )
                    MaterialProcessingJob.objects.filter(pk__in=mine.values("pk")).update(lease_expires_at=_lease_end())
            except Exception:  # noqa: BLE001 - a missed beat (a database blip); the next one tries again
                logger.warning("lease renewal of stage %s missed a beat", job.pk, exc_info=True)
                connection.close()  # a fresh connection for the next beat
        connection.close()  # this thread's own connection, back to the pool

    thread = threading.Thread(target=beat, name=f"lease-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def stage_output(job: MaterialProcessingJob):
    """The transaction that replaces a stage's output and completes its row, entered only while
    this run still holds the claim: the row stays locked until the commit, so a run that lost its
    claim can never write over the run that took the stage over."""
    with rls_context(user_id=job.material.user_id):
        _material_locked(job.material_id)
        held = MaterialProcessingJob.objects.select_for_update().filter(
            pk=job.pk, claim_id=job.claim_id, status=JobStatus.RUNNING
        )
        if not list(held.values_list("pk", flat=True)):
            raise LeaseLost
        yield


def material_process_now(*, material: Material) -> list[MaterialProcessingJob]:
    """Run the pending stages in this process, in order (`ingest`); return the job rows after."""
    with rls_context(user_id=material.user_id):
        pending = {
            j.job_type: j for j in MaterialProcessingJob.objects.filter(material=material, status=JobStatus.PENDING)
        }
    job = next((pending[stage] for stage in STAGES if stage in pending), None)
    while job:
        job = job_run(job_id=job.pk, user_id=material.user_id, last_try=True)  # no retries here
    with rls_context(user_id=material.user_id):
        return sorted(MaterialProcessingJob.objects.filter(material=material), key=lambda j: STAGES.index(j.job_type))


def jobs_reap() -> dict[str, int]:
    """Recover stages whose worker died and stages no worker received. Runs every minute (beat),
    as `system` (it sees every user's jobs):
    - running under a lapsed lease: queued again, or failed once JOB_MAX_ATTEMPTS runs started;
    - pending, queued more than JOB_REQUEUE_AFTER_SECONDS ago and still not claimed (the
      message was lost, or never sent while Redis was down): queued again.
    A second delivery of the same stage is harmless: only one run can claim it."""
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    cutoff = Now() - datetime.timedelta(seconds=settings.JOB_REQUEUE_AFTER_SECONDS)
    with rls_context(role=ROLE_SYSTEM):
        lapsed = list(
            MaterialProcessingJob.objects.filter(status=JobStatus.RUNNING, lease_expires_at__lt=Now()).select_related(
                "material"
            )
        )
        unclaimed = list(
            MaterialProcessingJob.objects.filter(status=JobStatus.PENDING, queued_at__lt=cutoff).select_related(
                "material"
            )
        )
    # One short transaction per job: one that fails, or the time limit, undoes no other.
    for job in lapsed:
        with rls_context(role=ROLE_SYSTEM):
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                message = f"Stopped after {job.attempts} attempts: the worker running it stopped responding."
                counts["failed"] += _job_finish(job, JobStatus.FAILED, message, lapsed=True)
            elif _job_finish(
                job, JobStatus.PENDING, "Restarted: the worker running it stopped responding.", lapsed=True
            ):
                _job_queue(job)
                counts["requeued"] += 1
    for job in unclaimed:
        with rls_context(role=ROLE_SYSTEM):
            if MaterialProcessingJob.objects.filter(pk=job.pk, status=JobStatus.PENDING, queued_at__lt=cutoff).exists():
                _job_queue(job)
                counts["resent"] += 1
    return counts


# --- The stages --------------------------------------------------------------------------------


def _stage_parse(job: MaterialProcessingJob) -> None:
    material = job.material
    try:
        with default_storage.open(material.file_path, "rb") as fh, memory_limit(settings.PARSE_MAX_MEMORY_MB * 2**20):
            pages = parse_document(fh, file_type=MIME_TO_KIND.get(material.file_type) or "text")
    except FileNotFoundError as exc:
        raise ParseError("The uploaded file is missing from storage; upload it again.") from exc
    with stage_output(job):
        MaterialPage.objects.filter(material=material).delete()
        MaterialPage.objects.bulk_create(
            MaterialPage(material=material, page_number=p.number, heading=p.heading[:500], text=p.text) for p in pages
        )
        job_complete(job, {"pages": len(pages), "characters": sum(len(p.text) for p in pages)})


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
    with stage_output(job):
        MaterialChunk.objects.filter(material=material).delete()
        MaterialChunk.objects.bulk_create(
            MaterialChunk(
                material=material,
                user_id=material.user_id,
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
        job_complete(job, {"chunks": len(chunks), "embedder": embedder.name, "dimensions": embedder.dimensions})


def _stage_analyze(job: MaterialProcessingJob) -> None:
    material = job.material
    with rls_context(user_id=material.user_id):
        text = "\n\n".join(material.pages.values_list("text", flat=True))
    tags = auto_tags(text=text)
    with stage_output(job):
        _tags_replace(material, tags, auto=True)
        topic = next((t.tag for t in tags if t.category == "topic"), None)
        if topic and not material.topic:
            Material.objects.filter(pk=material.pk).update(topic=topic)
        job_complete(job, {"tags": [{"tag": t.tag, "category": t.category, "confidence": t.confidence} for t in tags]})


STAGE_RUNNERS: dict[str, Callable[[MaterialProcessingJob], None]] = {
    JobType.PARSE: _stage_parse,
    JobType.EMBED: _stage_embed,
    JobType.ANALYZE: _stage_analyze,
}
# What must go with a material when it is deleted, by the apps whose rows refer to it.
DELETE_HOOKS: list[Callable[[Material], None]] = []


def pipeline_extend(*, job_type: str, runner: Callable[[MaterialProcessingJob], None], on_delete=None) -> None:
    """A later stage run by the app that owns its output (the questions app writes questions),
    so that materials never imports it: the app registers its runner when Django starts
    (`AppConfig.ready`). A runner writes its output inside `stage_output(job)` and ends with
    `job_complete`."""
    STAGE_RUNNERS[job_type] = runner
    if on_delete is not None and on_delete not in DELETE_HOOKS:
        DELETE_HOOKS.append(on_delete)


def _transient_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    from medtext.errors import TransientServiceError

    return (TransientServiceError, OperationalError, InterfaceError, RedisConnectionError)


TRANSIENT_ERRORS = _transient_errors()
PERMANENT_ERRORS = (ParseError, ServiceError, SoftTimeLimitExceeded)


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"The stage took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT // 60} minutes and was stopped."
    return str(exc) or exc.__class__.__name__


# --- Helpers -----------------------------------------------------------------------------------


def _enqueue(job_id: uuid.UUID, user_id: uuid.UUID) -> None:
    from materials.tasks import stage_run

    stage_run.delay(str(job_id), str(user_id))


def _job_queue(job: MaterialProcessingJob) -> None:
    """Hand the stage to the queue once the transaction commits. If Redis cannot take it, the
    failure is logged, not raised (the student's upload is committed), and the reaper sends it
    again JOB_REQUEUE_AFTER_SECONDS after `queued_at`."""
    MaterialProcessingJob.objects.filter(pk=job.pk).update(queued_at=Now())
    job_id, user_id = job.pk, job.material.user_id

    def send() -> None:  # a function, not a partial: robust on_commit logs its __qualname__
        _enqueue(job_id, user_id)

    transaction.on_commit(send, robust=True)


def job_complete(job: MaterialProcessingJob, result: dict, **material_fields) -> None:
    """Inside the stage's output transaction: the row and the output commit together, with
    `material_fields` of the material (a count of the output). The next stage counts as queued
    from now (its task is sent after the commit)."""
    if material_fields:
        Material.objects.filter(pk=job.material_id).update(**material_fields)
    MaterialProcessingJob.objects.filter(pk=job.pk).update(
        status=JobStatus.COMPLETED, completed_at=Now(), error_message=None, result=result, lease_expires_at=None
    )
    following = STAGES[STAGES.index(job.job_type) + 1 :]
    if following:
        MaterialProcessingJob.objects.filter(
            material_id=job.material_id, job_type=following[0], status=JobStatus.PENDING
        ).update(queued_at=Now())
    _material_status_refresh(job.material_id)


def _job_finish(
    job: MaterialProcessingJob,
    status: str,
    message: str,
    *,
    expect=(JobStatus.RUNNING,),
    lapsed: bool = False,
) -> bool:
    """End a run without output: back to pending (a retry follows) or failed. Only the run that
    holds the claim may; the reaper only once that claim's lease has lapsed (`lapsed`).
    A failed stage ends the stages after it, which cannot run without its output."""
    with rls_context(user_id=job.material.user_id):
        _material_locked(job.material_id)
        rows = MaterialProcessingJob.objects.filter(pk=job.pk, status__in=expect, claim_id=job.claim_id)
        if lapsed:
            rows = rows.filter(lease_expires_at__lt=Now())
        changed = rows.update(
            status=status, error_message=message, completed_at=None, claim_id=None, claimed_by="",
            lease_expires_at=None, queued_at=Now() if status == JobStatus.PENDING else None,
        )  # fmt: skip
        if changed and status == JobStatus.FAILED:
            MaterialProcessingJob.objects.filter(
                material_id=job.material_id,
                job_type__in=STAGES[STAGES.index(job.job_type) + 1 :],
                status=JobStatus.PENDING,
            ).update(
                status=JobStatus.FAILED,
                error_message=f"Not run, because “{job.get_job_type_display()}” failed.",
                result={"skipped_because": job.job_type},
                queued_at=None,
            )
        _material_status_refresh(job.material_id)
    return bool(changed)


def _job_progress(job: MaterialProcessingJob, *, done: int, total: int) -> None:
    # Its own short transaction, so the progress bar moves while the stage is still working.
    with rls_context(user_id=job.material.user_id):
        if not MaterialProcessingJob.objects.filter(pk=job.pk, claim_id=job.claim_id, status=JobStatus.RUNNING).update(
            result={"done": done, "total": total}
        ):
            raise LeaseLost  # taken over: stop working for nothing


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
