import datetime
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from materials import services
from materials.models import JobStatus, Material, MaterialProcessingJob
from tests import factories
from tests.materials import documents

pytestmark = pytest.mark.django_db

NOTES = "# Cardiology\n\nThe first-line treatment for stable angina is a beta blocker.\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr("materials.tasks.stage_run.delay", lambda *args: sent.append(args))
    return sent


def test_pages_need_a_login(client):
    response = client.get(reverse("materials:library"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_uploading_a_file_creates_the_material_and_queues_parsing(
    student_client, student, queued, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("angina.md", NOTES.encode(), content_type="application/octet-stream")
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(
            reverse("materials:upload"), {"file": upload, "title": "", "topic": "Cardiology", "tags": "exam, angina"}
        )
    material = Material.objects.get(user=student)
    assert response.status_code == 302 and response["Location"] == material.get_absolute_url()
    assert (material.title, material.file_type, material.topic) == ("angina", "text/markdown", "Cardiology")
    assert sorted(material.tags) == ["angina", "exam"]
    parse = material.jobs.get(job_type="parse")
    assert queued == [(str(parse.pk), str(student.pk))]
    assert set(material.jobs.values_list("status", flat=True)) == {JobStatus.PENDING}


def test_a_file_that_is_not_a_document_gets_a_clear_error_and_nothing_is_stored(student_client, student, queued):
    upload = SimpleUploadedFile("notes.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    response = student_client.post(reverse("materials:upload"), {"file": upload})
    assert response.status_code == 200
    assert "PDF, Word" in response.content.decode()
    assert not Material.objects.exists() and queued == []


def test_a_file_over_the_limit_is_refused_with_its_size(student_client, settings, queued):
    settings.MATERIAL_MAX_UPLOAD_BYTES = 2 * 2**20
    upload = SimpleUploadedFile("big.txt", b"a" * (3 * 2**20))
    response = student_client.post(reverse("materials:upload"), {"file": upload})
    assert "The file is 3.0 MB; the limit is 2 MB." in response.content.decode()
    assert not Material.objects.exists()


def test_the_library_lists_only_the_students_materials_and_searches_them(student_client, student, peer):
    factories.MaterialFactory(user=student, title="Renal physiology", description="Nephron transport")
    factories.MaterialFactory(user=student, title="Cardiac arrhythmias")
    factories.MaterialFactory(user=peer, title="Peer renal notes")
    page = student_client.get(reverse("materials:library")).content.decode()
    assert "Renal physiology" in page and "Cardiac arrhythmias" in page and "Peer renal notes" not in page

    page = student_client.get(reverse("materials:library"), {"q": "renal"}).content.decode()
    assert "Renal physiology" in page and "Cardiac arrhythmias" not in page and "Peer renal notes" not in page
    page = student_client.get(reverse("materials:library"), {"q": "arrhythmia"}).content.decode()  # stemmed
    assert "Cardiac arrhythmias" in page


def test_another_students_material_is_not_found(student_client, peer):
    material = factories.MaterialFactory(user=peer)
    assert student_client.get(material.get_absolute_url()).status_code == 404
    assert student_client.post(reverse("materials:delete", args=[material.pk])).status_code == 404
    assert Material.objects.filter(pk=material.pk).exists()


def test_the_reader_shows_a_page_and_highlights_a_cited_passage(student_client, student):
    material = _processed(student)
    chunk = material.chunks.get(chunk_index=1)
    page = student_client.get(material.get_absolute_url(), {"chunk": str(chunk.pk)}).content.decode()
    assert f'<mark id="passage">{chunk.content}' in page.replace("&#x27;", "'")
    assert f"Page {chunk.page_number}" in page


def test_progress_polls_while_processing_and_asks_for_a_reload_when_done(student_client, student):
    material = factories.MaterialFactory(user=student, processing_status="processing")
    factories.MaterialProcessingJobFactory(
        material=material, job_type="parse", status="completed", completed_at=timezone.now()
    )
    for stage in services.STAGES[1:]:
        factories.MaterialProcessingJobFactory(material=material, job_type=stage)
    url = reverse("materials:progress", args=[material.pk])
    response = student_client.get(url, {"shown": "processing"}, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert "HX-Refresh" not in response

    MaterialProcessingJob.objects.filter(material=material).update(status="completed", completed_at=timezone.now())
    Material.objects.filter(pk=material.pk).update(processing_status="completed")
    response = student_client.get(url, {"shown": "processing"}, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


def test_a_failed_stage_shows_its_error_and_a_retry_button_that_works(
    student_client, student, queued, django_capture_on_commit_callbacks
):
    material = factories.MaterialFactory(user=student, processing_status="failed")
    factories.MaterialProcessingJobFactory(
        material=material, job_type="parse", status="failed", error_message="no extractable text"
    )
    page = student_client.get(material.get_absolute_url()).content.decode()
    assert "no extractable text" in page and reverse("materials:retry", args=[material.pk, "parse"]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("materials:retry", args=[material.pk, "parse"]))
    assert response.status_code == 302
    assert material.jobs.get().status == JobStatus.PENDING and len(queued) == 1


def test_stages_after_a_failure_say_they_were_not_run_and_offer_no_retry(student_client, student):
    material = factories.MaterialFactory(user=student, processing_status="failed")
    factories.MaterialProcessingJobFactory(
        material=material, job_type="parse", status="failed", error_message="no extractable text"
    )
    factories.MaterialProcessingJobFactory(
        material=material, job_type="embed", status="failed", error_message="Not run, because “Parse” failed.",
        result={"skipped_because": "parse"},
    )  # fmt: skip
    page = student_client.get(material.get_absolute_url()).content.decode()
    assert "Not run, because “Parse” failed." in page and ">Not run<" in page
    assert reverse("materials:retry", args=[material.pk, "embed"]) not in page


def test_a_stage_whose_worker_died_says_so_and_can_be_retried_at_once(
    student_client, student, queued, django_capture_on_commit_callbacks
):
    material = factories.MaterialFactory(user=student, processing_status="processing")
    factories.MaterialProcessingJobFactory(
        material=material, job_type="parse", status="running", claim_id=uuid.uuid4(),
        lease_expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )  # fmt: skip
    page = student_client.get(material.get_absolute_url()).content.decode()
    assert "The worker reading this stopped" in page and "Retry now" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("materials:retry", args=[material.pk, "parse"]))
    assert response.status_code == 302
    assert material.jobs.get().status == JobStatus.PENDING and len(queued) == 1


def test_delete_from_the_page(student_client, student, django_capture_on_commit_callbacks):
    material = _processed(student)
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("materials:delete", args=[material.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("materials:library")
    assert not Material.objects.filter(pk=material.pk).exists()


def test_searching_passages_from_the_library(student_client, student):
    material = _processed(student)
    page = student_client.get(reverse("materials:library"), {"q": "treatment of stable angina"}).content.decode()
    assert "Passages about" in page and f"{material.get_absolute_url()}?chunk=" in page


@pytest.mark.parametrize("query", ["xyzzy nonsense", "recipe for chocolate cake", "asdf qwerty"])
def test_a_search_that_matches_nothing_says_so_plainly(student_client, student, query):
    _processed(student)
    page = student_client.get(reverse("materials:library"), {"q": query}).content.decode()
    assert f"Nothing in your materials matches “{query}”" in page
    assert "?chunk=" not in page and "similar</span>" not in page


def _processed(student) -> Material:
    material = services.material_upload(
        user=student,
        file=SimpleUploadedFile(
            "angina.pdf",
            documents.pdf_bytes(
                [
                    "Stable angina is chest pain on exertion relieved by rest. " * 8,
                    "The first-line treatment for stable angina is a beta blocker. Nitroglycerin lowers preload. " * 8,
                ]
            ),
        ),  # fmt: skip
        enqueue=False,
    )
    services.material_process_now(material=material)
    material.refresh_from_db()
    return material


def test_deleting_keeps_verified_questions_and_removes_ones_other_people_refer_to(
    student_client, student, peer, staff_member, django_capture_on_commit_callbacks
):
    """Rows the student cannot see (staff's moderation history, a peer's block item) refer to
    the material's questions; deleting still works, as the student, through the page."""
    from practice.models import PracticeSessionQuestion
    from questions.models import Question, QuestionModerationEvent

    material = factories.MaterialFactory(user=student)
    verified = factories.QuestionFactory(material=material, is_verified=True)
    unanswered = factories.QuestionFactory(material=material)
    QuestionModerationEvent.objects.create(question=unanswered, staff=staff_member, action="edit")
    factories.PracticeSessionQuestionFactory(session__user=peer, question=unanswered)

    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("materials:delete", args=[material.pk]))

    assert response.status_code == 302
    assert not Question.objects.filter(pk=unanswered.pk).exists()
    assert not PracticeSessionQuestion.objects.filter(question_id=unanswered.pk).exists()
    assert Question.objects.get(pk=verified.pk).material_id is None


def test_a_citation_opens_its_page_when_pages_without_text_were_skipped(student_client, student):
    material = factories.MaterialFactory(user=student)
    for number in (2, 3, 4):  # page 1 was a cover without text
        factories.MaterialPageFactory(material=material, page_number=number, text=f"Text of page {number}.")
    chunk = factories.MaterialChunkFactory(material=material, page_number=3, content="Text of page 3.", char_end=15)
    page = student_client.get(material.get_absolute_url(), {"chunk": str(chunk.pk)}).content.decode()
    assert '<mark id="passage">Text of page 3.</mark>' in page and "Page 3" in page
