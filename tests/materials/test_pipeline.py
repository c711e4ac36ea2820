"""The processing pipeline end to end, on real files made here, through the real services,
Celery task code, database and embedder."""

import datetime
import io
import time
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from materials import services, tasks
from materials.models import JobStatus, Material, MaterialChunk, MaterialPage, MaterialProcessingJob, MaterialTag
from materials.selectors import passages_search
from medtext.embeddings import EmbeddingError, TransientEmbeddingError, get_embedder
from questions.models import Question, QuestionOption
from studyin.celery import app as celery_app
from studyin.rls import rls_context, rls_set
from tests import factories
from tests.materials import documents

pytestmark = pytest.mark.django_db

CARDIOLOGY = [
    "Stable angina is chest pain on exertion that is relieved by rest. The first-line treatment for stable angina "
    "is a beta blocker. Nitroglycerin relieves acute anginal pain by venodilation, which lowers preload.",
    "Atrial fibrillation is an irregularly irregular rhythm without P waves. Warfarin is used to prevent stroke in "
    "atrial fibrillation. Digoxin works by inhibiting the sodium-potassium ATPase of cardiac myocytes.",
    "Aortic stenosis is caused by calcification of the aortic valve in the elderly. It presents with syncope, "
    "angina and dyspnea. Infective endocarditis is most often caused by Staphylococcus aureus in drug users.",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(user, data: bytes, name: str, **kwargs) -> Material:
    return services.material_upload(user=user, file=ContentFile(data, name=name), enqueue=False, **kwargs)


def _counts(material: Material) -> tuple[int, int, int, int]:
    return (
        MaterialPage.objects.filter(material=material).count(),
        MaterialChunk.objects.filter(material=material).count(),
        MaterialTag.objects.filter(material=material).count(),
        Question.objects.filter(material=material).count(),
    )


def test_a_pdf_goes_through_every_stage(student):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf", tags=["exam"])
    assert list(material.jobs.values_list("status", flat=True).distinct()) == [JobStatus.PENDING]

    jobs = services.material_process_now(material=material)

    material.refresh_from_db()
    assert [j.status for j in jobs] == [JobStatus.COMPLETED] * 4
    assert material.processing_status == "completed" and material.processing_error is None
    assert [p.page_number for p in material.pages.all()] == [1, 2, 3]
    assert "beta blocker" in material.pages.get(page_number=1).text
    chunks = list(material.chunks.order_by("chunk_index"))
    assert material.chunk_count == len(chunks) >= 3
    assert all(len(c.embedding) == get_embedder().dimensions for c in chunks)
    assert {c.page_number for c in chunks} == {1, 2, 3}
    for chunk in chunks:
        assert (
            material.pages.get(page_number=chunk.page_number).text[chunk.char_start : chunk.char_end] == chunk.content
        )
    assert material.topic == "Cardiology"  # guessed by the analyze stage
    assert "exam" in material.tags and set(material.tags) == set(material.material_tags.values_list("tag", flat=True))
    questions = list(Question.objects.filter(material=material))
    assert material.question_count == len(questions) > 0
    for question in questions:
        assert question.is_verified is False
        rows = list(QuestionOption.objects.filter(question=question).order_by("option_index"))
        assert [r.option_text for r in rows] == question.options
        assert question.explanations.get().references
    # a cardiology handout's questions are about the heart (the answer's organ system)
    assert {q.organ_system for q in questions} == {"cardiovascular"}


def test_re_running_every_stage_replaces_its_output_and_never_duplicates(student):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    services.material_process_now(material=material)
    before = _counts(material)

    assert services.material_reprocess(material=material)
    services.material_process_now(material=material)

    assert _counts(material) == before
    material.refresh_from_db()
    assert (material.chunk_count, material.question_count) == (before[1], before[3])


def test_a_job_that_is_not_pending_is_not_run_again(student):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    services.material_process_now(material=material)
    parse = material.jobs.get(job_type="parse")
    assert services.job_run(job_id=parse.pk, user_id=student.pk) is None  # e.g. a redelivered task
    assert material.jobs.get(job_type="parse").attempts == 1


def test_a_scanned_pdf_fails_with_a_readable_reason_and_can_be_retried(student):
    material = _upload(student, documents.pdf_bytes(["", ""]), "scan.pdf")
    jobs = services.material_process_now(material=material)

    material.refresh_from_db()
    assert [j.status for j in jobs] == ["failed"] * 4
    assert "no extractable text" in jobs[0].error_message
    # The stages after it end too, saying why, instead of waiting forever.
    assert [j.error_message for j in jobs[1:]] == ["Not run, because “Parse” failed."] * 3
    assert [j.skipped for j in jobs] == [False, True, True, True]
    assert material.processing_status == "failed"
    assert material.processing_error.startswith("Parse: no extractable text")

    assert not services.material_stage_retry(material=material, job_type="embed")  # retry the first failure
    assert services.material_stage_retry(material=material, job_type="parse")
    assert set(material.jobs.values_list("status", flat=True)) == {JobStatus.PENDING}
    assert not services.material_stage_retry(material=material, job_type="parse")  # not failed any more


class FlakyEmbedder:
    """The real embedder, but the first `failures` calls fail the way a network does."""

    def __init__(self, failures: int):
        self.failures, self.real = failures, get_embedder()
        self.name, self.dimensions = self.real.name, self.real.dimensions

    def embed(self, texts):
        if self.failures:
            self.failures -= 1
            raise TransientEmbeddingError("connection reset by peer")
        return self.real.embed(texts)


@pytest.fixture
def eager_celery(monkeypatch):
    # .delay() runs the task at once, in this process: the chain of stages and the retries
    # (countdowns are not waited for) run through the real task code.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_a_transient_error_is_retried_and_the_pipeline_carries_on(student, monkeypatch, eager_celery):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    flaky = FlakyEmbedder(failures=2)
    monkeypatch.setattr(services, "get_embedder", lambda: flaky)

    tasks.stage_run.apply(args=[str(material.jobs.get(job_type="parse").pk), str(student.pk)])

    material.refresh_from_db()
    embed = material.jobs.get(job_type="embed")
    assert flaky.failures == 0
    assert embed.status == JobStatus.COMPLETED and embed.attempts == 3
    assert material.processing_status == "completed"


def test_a_transient_error_that_never_clears_ends_failed(student, monkeypatch, eager_celery):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    monkeypatch.setattr(services, "get_embedder", lambda: FlakyEmbedder(failures=100))

    tasks.stage_run.apply(args=[str(material.jobs.get(job_type="parse").pk), str(student.pk)])

    embed = material.jobs.get(job_type="embed")
    assert embed.status == JobStatus.FAILED
    assert embed.error_message.startswith(f"Gave up after {tasks.MAX_RETRIES + 1} attempts: connection reset")
    assert embed.attempts == tasks.MAX_RETRIES + 1


def _lapse(job, **fields) -> None:
    """The worker running `job` died a while ago: its lease ran out."""
    MaterialProcessingJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, claim_id=uuid.uuid4(), lease_expires_at=timezone.now() - datetime.timedelta(seconds=5),
        started_at=timezone.now() - datetime.timedelta(minutes=2), **fields,
    )  # fmt: skip


@pytest.fixture
def queued(monkeypatch):
    """The tasks sent to the queue, as (job id, user id)."""
    sent = []
    monkeypatch.setattr(tasks.stage_run, "delay", lambda *args: sent.append(args))
    return sent


def test_the_reaper_takes_over_a_lapsed_claim_then_fails_it_after_max_attempts(
    student, settings, django_capture_on_commit_callbacks, queued
):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    job = material.jobs.get(job_type="parse")
    _lapse(job, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap() == {"requeued": 1, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert (job.status, job.claim_id, job.lease_expires_at) == (JobStatus.PENDING, None, None)
    assert "stopped responding" in job.error_message and job.queued_at is not None
    assert queued == [(str(job.pk), str(student.pk))]

    _lapse(job, attempts=settings.JOB_MAX_ATTEMPTS)
    assert services.jobs_reap() == {"requeued": 0, "failed": 1, "resent": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "Stopped after 3 attempts" in job.error_message
    assert set(material.jobs.exclude(pk=job.pk).values_list("status", flat=True)) == {JobStatus.FAILED}
    assert services.jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}


def test_the_reaper_leaves_a_live_claim_alone(student, settings):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    job = material.jobs.get(job_type="parse")
    MaterialProcessingJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, claim_id=uuid.uuid4(), attempts=1,
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS),
    )  # fmt: skip
    assert services.jobs_reap() == {"requeued": 0, "failed": 0, "resent": 0}
    assert material.jobs.get(pk=job.pk).status == JobStatus.RUNNING
    assert services.job_run(job_id=job.pk, user_id=student.pk) is None  # a redelivered task waits its turn


def test_a_redelivered_task_takes_over_a_stage_whose_worker_died(student):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    parse = material.jobs.get(job_type="parse")
    _lapse(parse, attempts=1)

    following = services.job_run(job_id=parse.pk, user_id=student.pk)

    parse.refresh_from_db()
    assert (parse.status, parse.attempts) == (JobStatus.COMPLETED, 2)
    assert following == material.jobs.get(job_type="embed")
    assert MaterialPage.objects.filter(material=material).count() == 3


def test_a_run_that_lost_its_claim_writes_nothing(student, monkeypatch):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    services.material_process_now(material=material)
    before = _counts(material)
    assert services.material_reprocess(material=material)
    usurper = uuid.uuid4()
    real_parse = services.STAGE_RUNNERS["parse"]

    def parse_then_lose_the_claim(job):
        # While this run parses, its lease lapses and another run claims the stage.
        MaterialProcessingJob.objects.filter(pk=job.pk).update(claim_id=usurper)
        real_parse(job)

    monkeypatch.setitem(services.STAGE_RUNNERS, "parse", parse_then_lose_the_claim)
    parse = material.jobs.get(job_type="parse")

    assert services.job_run(job_id=parse.pk, user_id=student.pk) is None

    parse.refresh_from_db()
    assert (parse.status, parse.claim_id) == (JobStatus.RUNNING, usurper)  # the other run's, untouched
    assert _counts(material) == before  # the old output stays, nothing was written twice


def test_retry_and_reprocess_are_allowed_once_the_running_stage_lost_its_worker(student, queued, settings):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    embed = material.jobs.get(job_type="embed")
    MaterialProcessingJob.objects.filter(material=material, job_type="parse").update(
        status=JobStatus.COMPLETED, completed_at=timezone.now()
    )
    MaterialProcessingJob.objects.filter(pk=embed.pk).update(
        status=JobStatus.RUNNING, claim_id=uuid.uuid4(), attempts=1,
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS),
    )  # fmt: skip
    assert not services.material_stage_retry(material=material, job_type="embed")  # a live worker has it
    assert not services.material_reprocess(material=material)

    _lapse(embed, attempts=1)

    assert services.material_stage_retry(material=material, job_type="embed")
    statuses = dict(material.jobs.values_list("job_type", "status"))
    assert statuses == {"parse": "completed", "embed": "pending", "analyze": "pending", "generate_questions": "pending"}
    _lapse(embed, attempts=1)
    assert services.material_reprocess(material=material)
    assert set(material.jobs.values_list("status", flat=True)) == {JobStatus.PENDING}


def test_the_reaper_resends_a_stage_no_worker_received(student, settings, django_capture_on_commit_callbacks, queued):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    parse = material.jobs.get(job_type="parse")
    recently = timezone.now() - datetime.timedelta(seconds=settings.JOB_REQUEUE_AFTER_SECONDS - 30)
    MaterialProcessingJob.objects.filter(pk=parse.pk).update(queued_at=recently)
    assert services.jobs_reap()["resent"] == 0  # it may still be waiting in a busy queue

    lost = timezone.now() - datetime.timedelta(seconds=settings.JOB_REQUEUE_AFTER_SECONDS + 30)
    MaterialProcessingJob.objects.filter(pk=parse.pk).update(queued_at=lost)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap() == {"requeued": 0, "failed": 0, "resent": 1}
    assert queued == [(str(parse.pk), str(student.pk))]
    parse.refresh_from_db()
    assert parse.queued_at > lost
    # Stages waiting for an earlier one were never queued: nothing to resend.
    assert services.jobs_reap()["resent"] == 0


def test_an_upload_while_redis_is_down_is_kept_and_sent_later(student, monkeypatch, django_capture_on_commit_callbacks):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def broker_down(*args):
        raise RedisConnectionError("Error 111 connecting: Connection refused.")

    monkeypatch.setattr(tasks.stage_run, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        material = services.material_upload(
            user=student, file=ContentFile(documents.pdf_bytes(CARDIOLOGY), name="cardiology.pdf")
        )
    parse = material.jobs.get(job_type="parse")
    assert (parse.status, parse.queued_at is not None) == (JobStatus.PENDING, True)  # the reaper will resend it


def test_upload_refuses_what_it_cannot_process(student, settings):
    with pytest.raises(services.UploadRejected, match="empty"):
        _upload(student, b"", "empty.pdf")
    with pytest.raises(services.UploadRejected, match="PDF, Word"):
        _upload(student, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.pdf")
    with pytest.raises(services.UploadRejected, match="web page"):
        _upload(student, b"<html><script>alert(1)</script></html>", "lecture.pdf")
    with pytest.raises(services.UploadRejected, match="would inflate to more than"):
        _upload(student, documents.docx_bomb_bytes(inflated_mb=80), "notes.docx")
    settings.MATERIAL_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(services.UploadRejected, match=r"the limit is 0 MB|limit is"):
        _upload(student, b"x" * 2048, "big.txt")
    assert not Material.objects.exists()
    assert not default_storage.listdir("")[1]


def test_a_hostile_file_already_in_storage_fails_its_parse_stage_with_a_clear_message(student, settings):
    """A file checked under older limits (or put in storage another way) is checked again when parsed."""
    settings.PARSE_MAX_MEMORY_MB = 64
    material = _upload(student, documents.docx_bytes([("Renal", ["The loop of Henle."])]), "renal.docx")
    with default_storage.open(material.file_path, "wb") as fh:
        fh.write(documents.docx_bomb_bytes(inflated_mb=80))

    jobs = services.material_process_now(material=material)

    assert [j.status for j in jobs] == ["failed"] * 4
    assert jobs[0].error_message.startswith("This Word document would inflate to more than StudyIn reads")


def test_delete_keeps_answered_questions_and_removes_the_rest(student, django_capture_on_commit_callbacks):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    services.material_process_now(material=material)
    answered, *unanswered = Question.objects.filter(material=material)
    Question.objects.filter(pk=answered.pk).update(times_answered=1, times_correct=1)
    path = material.file_path
    assert default_storage.exists(path)

    with django_capture_on_commit_callbacks(execute=True):
        services.material_delete(material=material)

    assert not Material.objects.filter(pk=material.pk).exists()
    assert not MaterialChunk.objects.filter(material_id=material.pk).exists()
    assert not MaterialProcessingJob.objects.filter(material_id=material.pk).exists()
    answered.refresh_from_db()
    assert answered.material_id is None
    assert not Question.objects.filter(pk__in=[q.pk for q in unanswered]).exists()
    assert not default_storage.exists(path)


def test_semantic_search_returns_only_the_students_own_chunks(student, peer):
    embedder = get_embedder()
    mine = factories.MaterialChunkFactory(
        material__user=student,
        content="The kidney filters blood.",
        embedding=embedder.embed(["The kidney filters blood."])[0],
    )
    factories.MaterialChunkFactory(
        material__user=peer,
        content="Beta blockers treat angina.",
        embedding=embedder.embed(["Beta blockers treat angina."])[0],
    )
    rls_set(user_id=student.pk)  # as in the student's request
    results = passages_search(user=student, query="treatment of angina with beta blockers")
    assert [p.chunk.pk for p in results] == [mine.pk]


def test_the_ingest_command_runs_the_pipeline_and_prints_a_summary(student, tmp_path):
    path = tmp_path / "renal.docx"
    path.write_bytes(documents.docx_bytes([("Renal physiology", [
        "The loop of Henle concentrates urine. Furosemide works by inhibiting the Na-K-2Cl cotransporter.",
        "Nephrotic syndrome is caused by podocyte injury and presents with proteinuria above 3.5 g per day.",
    ])]))  # fmt: skip
    out = io.StringIO()
    call_command("ingest", str(path), user=student.email, stdout=out)
    assert "renal.docx: completed:" in out.getvalue()
    material = Material.objects.get(user=student)
    assert material.chunk_count > 0 and material.pages.get().heading == "Renal physiology"


class BrokenEmbedder:
    name, dimensions = "broken", 384

    def embed(self, texts):
        raise EmbeddingError("The embeddings endpoint refused the API key (HTTP 401).")


def test_a_permanent_error_in_a_task_ends_failed_with_its_message(student, monkeypatch, eager_celery):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    monkeypatch.setattr(services, "get_embedder", BrokenEmbedder)

    tasks.stage_run.apply(args=[str(material.jobs.get(job_type="parse").pk), str(student.pk)])

    material.refresh_from_db()
    embed = material.jobs.get(job_type="embed")
    assert (embed.status, embed.attempts) == (JobStatus.FAILED, 1)  # not retried
    assert embed.error_message == "The embeddings endpoint refused the API key (HTTP 401)."
    assert material.processing_status == "failed"
    assert material.processing_error == "Embed: The embeddings endpoint refused the API key (HTTP 401)."
    analyze = material.jobs.get(job_type="analyze")
    assert (analyze.status, analyze.skipped) == (JobStatus.FAILED, True)


def test_a_late_retry_of_a_later_stage_waits_for_the_stages_before_it(student, queued):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    services.material_process_now(material=material)
    assert services.material_reprocess(material=material)  # every stage pending again, parse first
    generate = material.jobs.get(job_type="generate_questions")

    assert services.job_run(job_id=generate.pk, user_id=student.pk) is None  # e.g. an old retry's message
    generate.refresh_from_db()
    assert (generate.status, generate.attempts) == (JobStatus.PENDING, 0)  # left for the chain to run in turn


def test_the_last_try_fails_only_its_own_run(student, monkeypatch):
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    usurper = uuid.uuid4()

    def taken_over_then_flaky(job):
        MaterialProcessingJob.objects.filter(pk=job.pk).update(claim_id=usurper)  # another run took it over
        raise TransientEmbeddingError("connection reset by peer")

    monkeypatch.setitem(services.STAGE_RUNNERS, "parse", taken_over_then_flaky)
    parse = material.jobs.get(job_type="parse")

    assert services.job_run(job_id=parse.pk, user_id=student.pk, last_try=True) is None

    parse.refresh_from_db()
    assert (parse.status, parse.claim_id) == (JobStatus.RUNNING, usurper)  # the other run carries on


@pytest.mark.django_db(transaction=True)
def test_the_lease_heartbeat_survives_a_database_blip(student, settings, monkeypatch):
    settings.JOB_LEASE_SECONDS = 0.6  # a beat every 0.2 s
    with rls_context(user_id=student.pk):
        material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
        parse = material.jobs.get(job_type="parse")
    job = services._job_claim(job_id=parse.pk, user_id=student.pk)
    real_end, calls = services._lease_end, []

    def blip_once():
        calls.append(1)
        if len(calls) == 1:
            from django.db import OperationalError

            raise OperationalError("server closed the connection unexpectedly")
        return real_end()

    monkeypatch.setattr(services, "_lease_end", blip_once)
    with services._lease_renewed(job):
        time.sleep(1.0)
    assert len(calls) >= 3  # it went on beating after the first one failed
    with rls_context(user_id=student.pk):
        renewed = MaterialProcessingJob.objects.get(pk=job.pk).lease_expires_at
    assert renewed > job.lease_expires_at


def test_an_unexpected_failure_is_e_mailed_to_the_admins(student, monkeypatch, settings, mailoutbox):
    settings.ADMINS = [("Operations", "ops@studyin.example")]
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")

    def a_bug(job):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(services.STAGE_RUNNERS, "parse", a_bug)
    jobs = services.material_process_now(material=material)

    assert jobs[0].error_message == "Unexpected error (ZeroDivisionError); staff have been notified."
    (mail,) = mailoutbox
    assert mail.to == ["ops@studyin.example"] and "stage parse of material" in mail.subject
    assert "ZeroDivisionError" in mail.body
