import pytest

from materials import services as materials_services
from studyin.celery import app as celery_app
from studyin.rls import rls_context
from tests import factories
from tests.browser.conftest import log_in
from tests.materials import documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_asks_the_coach_and_follows_a_citation_to_the_passage(page, settings, tmp_path, monkeypatch):
    # No worker runs in the tests: the queued stages and the coach's reply run at once.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = tmp_path
    student = factories.UserFactory(email="omar@example.com", name="Omar Okafor")
    notes = documents.pdf_bytes([
        "Parkinson disease is caused by loss of dopaminergic neurons in the substantia nigra. "
        "It presents with a resting tremor, rigidity and bradykinesia.",
        "Levodopa is combined with carbidopa to reduce its peripheral conversion to dopamine. "
        "The first-line treatment for Parkinson disease in older patients is levodopa.",
    ])  # fmt: skip
    from django.core.files.base import ContentFile

    with rls_context(user_id=student.pk):
        material = materials_services.material_upload(
            user=student, file=ContentFile(notes, name="parkinson.pdf"), title="Movement disorders", enqueue=False
        )
    materials_services.material_process_now(material=material)
    log_in(page, student)

    page.get_by_role("link", name="Coach").click()
    assert page.get_by_label("Movement disorders").is_checked()
    page.get_by_label("Your question").fill("Why is levodopa combined with carbidopa?")
    page.get_by_role("button", name="Ask").click()

    answer = page.locator(".chat-assistant .chat-text")
    answer.wait_for()
    assert "Levodopa is combined with carbidopa to reduce its peripheral conversion to dopamine." in answer.inner_text()
    citation = page.locator(".cite a").first
    citation.hover()
    assert "carbidopa" in page.locator(".cite-quote").first.inner_text()
    assert page.get_by_role("link", name="Movement disorders, page 2", exact=True).is_visible()  # the sources list
    citation.click()
    assert "carbidopa" in page.locator("mark#passage").inner_text()
    assert "page 2" in page.content() or "2 of 2" in page.content()

    page.go_back()
    page.get_by_label("Your question").fill("How is warfarin reversed?")
    page.get_by_role("button", name="Ask").click()
    page.get_by_text("I can't answer that from your materials").wait_for()
