"""The processing pipeline end to end, on real files made here, through the real services,
Celery task code, database and embedder."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from materials import services, tasks
from materials.embeddings import EmbeddingError, TransientEmbeddingError, get_embedder
from materials.models import JobStatus, Material, MaterialChunk, MaterialPage, MaterialProcessingJob, MaterialTag
from materials.selectors import passages_search
from questions.models import Question, QuestionOption
from studyin.celery import app as celery_app
from studyin.rls import rls_set
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
    assert [j.status for j in jobs] == ["failed", "pending", "pending", "pending"]
    assert "no extractable text" in jobs[0].error_message
    assert material.processing_status == "failed"
    assert material.processing_error.startswith("Parse: no extractable text")

    assert services.material_stage_retry(material=material, job_type="parse")
    assert material.jobs.get(job_type="parse").status == JobStatus.PENDING
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


def test_the_reaper_requeues_a_stuck_job_then_fails_it_after_max_attempts(
    student, settings, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.stage_run, "delay", lambda *args: queued.append(args))
    material = _upload(student, documents.pdf_bytes(CARDIOLOGY), "cardiology.pdf")
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STUCK_AFTER_SECONDS + 60)
    job = material.jobs.get(job_type="parse")
    MaterialProcessingJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=long_ago, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.jobs_reap() == {"requeued": 1, "failed": 0}
    assert material.jobs.get(job_type="parse").status == JobStatus.PENDING
    assert queued == [(str(job.pk), str(student.pk))]

    MaterialProcessingJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=settings.JOB_MAX_ATTEMPTS
    )
    assert services.jobs_reap() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "stopped responding" in job.error_message
    assert services.jobs_reap() == {"requeued": 0, "failed": 0}


def test_upload_refuses_what_it_cannot_process(student, settings):
    with pytest.raises(services.UploadRejected, match="empty"):
        _upload(student, b"", "empty.pdf")
    with pytest.raises(services.UploadRejected, match="PDF, Word"):
        _upload(student, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.pdf")
    settings.MATERIAL_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(services.UploadRejected, match=r"the limit is 0 MB|limit is"):
        _upload(student, b"x" * 2048, "big.txt")
    assert not Material.objects.exists()
    assert not default_storage.listdir("")[1]


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
    assert material.jobs.get(job_type="analyze").status == JobStatus.PENDING
