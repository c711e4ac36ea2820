import pytest

from studyin.celery import app as celery_app
from tests import factories
from tests.browser.conftest import log_in
from tests.materials import documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def logged_in_page(page):
    return log_in(page, factories.UserFactory(email="nina@example.com", name="Nina Neuro"))


def test_a_student_uploads_notes_and_reads_them_back(logged_in_page, tmp_path, settings, monkeypatch):
    # No worker runs in the tests: the queued stages run at once, in the server's thread.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = tmp_path
    notes = tmp_path / "parkinson.pdf"
    notes.write_bytes(documents.pdf_bytes([
        "Parkinson disease is caused by loss of dopaminergic neurons in the substantia nigra. "
        "It presents with a resting tremor, rigidity and bradykinesia.",
        "Levodopa is combined with carbidopa to reduce its peripheral conversion to dopamine. "
        "The first-line treatment for Parkinson disease in older patients is levodopa.",
    ]))  # fmt: skip
    page = logged_in_page

    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name="Upload material").click()
    page.get_by_label("File").set_input_files(str(notes))
    page.get_by_label("Title").fill("Parkinson disease")
    page.get_by_role("button", name="Upload").click()

    page.get_by_text("is uploaded").wait_for()
    page.get_by_text("Completed").first.wait_for()
    assert "substantia nigra" in page.locator(".page-text").inner_text()
    page.get_by_role("link", name="Next →").click()
    assert "carbidopa" in page.locator(".page-text").inner_text()

    page.get_by_role("link", name="← Library").click()
    page.get_by_role("searchbox").fill("drug that replaces dopamine")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Parkinson disease, page 2").click()
    assert "carbidopa" in page.locator("mark#passage").inner_text()
