"""The pipeline and the schedule under real Celery worker processes: a worker killed with SIGKILL
mid-stage, and every scheduled task sent the way beat sends it."""

import random

import pytest
from celery.beat import Scheduler
from django.core.files.base import ContentFile
from django.db.models import Count

from materials import services
from materials.models import JobStatus, Material, MaterialChunk, MaterialPage, MaterialProcessingJob
from questions.models import Question
from studyin.celery import app as celery_app
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories
from tests.materials import documents
from tests.processes import celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 3  # seconds: renewed every second, so a dead worker's claim lapses quickly


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _job(material, stage) -> MaterialProcessingJob:
    with rls_context(role=ROLE_SYSTEM):
        return MaterialProcessingJob.objects.get(material=material, job_type=stage)


def _status(material) -> str:
    with rls_context(role=ROLE_SYSTEM):
        return Material.objects.get(pk=material.pk).processing_status


def test_a_worker_killed_mid_stage_is_taken_over_and_the_material_completes_once(tmp_path, settings):
    settings.JOB_LEASE_SECONDS = LEASE
    student = factories.UserFactory()
    rng = random.Random(7)
    pages = [documents.medical_text(rng, chars=2500) for _ in range(24)]
    env = {"JOB_LEASE_SECONDS": str(LEASE), "EMBEDDING_BATCH_SIZE": "4", "EMBEDDING_THREADS": "1"}

    with celery_worker(tmp_path / "worker-1.log", **env) as first:
        with rls_context(user_id=student.pk):  # as the student's upload request does
            material = services.material_upload(
                user=student, file=ContentFile(documents.pdf_bytes(pages), name="cardiology.pdf")
            )
        # Mid-stage: the embed stage has claimed its row and written some of its progress.
        wait_for(
            lambda: (job := _job(material, "embed")).status == JobStatus.RUNNING and 0 < job.result.get("done", 0),
            timeout=120,
            what="the embed stage to be under way",
        )
        first.kill()  # SIGKILL to the worker and its pool child: no shutdown, no acknowledgement
    killed = _job(material, "embed")
    assert killed.status == JobStatus.RUNNING and killed.attempts == 1

    with celery_worker(tmp_path / "worker-2.log", **env) as second:
        # The dead worker's message stays unacknowledged until Redis' visibility timeout; the
        # reaper (sent as beat sends it) takes the stage over as soon as the lease lapses.
        wait_for(lambda: _job(material, "embed").lease_lapsed(), timeout=2 * LEASE + 5, what="the lease to lapse")
        celery_app.tasks["materials.tasks.jobs_reap"].apply_async()
        wait_for(
            lambda: _status(material) in ("completed", "failed"),
            timeout=240,
            what=f"the material to finish; worker log:\n{second.output()[-3000:]}",
        )

    with rls_context(role=ROLE_SYSTEM):
        _assert_completed_once(material)


def _assert_completed_once(material) -> None:
    material.refresh_from_db()
    jobs = {j.job_type: j for j in material.jobs.all()}
    assert material.processing_status == "completed", {k: (j.status, j.error_message) for k, j in jobs.items()}
    assert jobs["embed"].attempts == 2 and jobs["parse"].attempts == 1
    assert MaterialPage.objects.filter(material=material).count() == jobs["parse"].result["pages"] == 24
    chunks = MaterialChunk.objects.filter(material=material)
    assert chunks.count() == material.chunk_count == jobs["embed"].result["chunks"]
    assert not chunks.values("chunk_index").annotate(n=Count("id")).filter(n__gt=1).exists()
    questions = Question.objects.filter(material=material)
    assert questions.count() == material.question_count == jobs["generate_questions"].result["questions"] > 0
    assert not questions.values("vignette").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_every_scheduled_task_is_sent_as_beat_sends_it_and_a_worker_runs_it(tmp_path):
    """Beat sends with the task's own options and limits; a time limit that Celery refuses
    ("soft_time_limit must be less than or equal to time_limit") fails here, not in production."""
    celery_app.loader.import_default_modules()  # as beat does at start: every app's tasks module
    scheduler = Scheduler(app=celery_app, lazy=True)
    scheduler.setup_schedule()
    entries = {name: entry for name, entry in scheduler.schedule.items() if not name.startswith("celery.")}
    assert set(entries) == set(celery_app.conf.beat_schedule)

    def outcomes(log: str, task: str) -> list[str]:
        return [line for line in log.splitlines() if f"Task {task}[" in line and "received" not in line]

    with celery_worker(tmp_path / "worker.log") as worker:
        for entry in entries.values():
            scheduler.apply_async(entry, advance=False)  # raises SchedulingError where beat would log it
        for entry in entries.values():
            wait_for(
                lambda entry=entry: outcomes(worker.output(), entry.task),
                timeout=60,
                what=f"{entry.task} to run; worker log:\n{worker.output()[-3000:]}",
            )
        log = worker.output()
    for entry in entries.values():
        assert [" succeeded in " in line for line in outcomes(log, entry.task)] == [True], log
