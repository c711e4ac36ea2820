"""Every page a student opens fits the screen: at a phone's 390 x 844 and at a desktop's 1280 x
800, nothing scrolls sideways. The pages hold real content (a processed material with its
reader, a block with an answered question and its explanation, a summary)."""

import pytest
from django.core.files.base import ContentFile

from coach import paths as coach_paths
from coach import services as coach_services
from coach.models import ChatMessage
from materials import services as materials_services
from practice import services as practice_services
from questions.models import Question
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories
from tests.browser.conftest import log_in
from tests.materials import documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
NOTES = documents.markdown_bytes(
    [
        ("Heart failure with reduced ejection fraction", [
            "Beta blockers such as metoprolol succinate, carvedilol and bisoprolol reduce mortality in heart failure "
            "with reduced ejection fraction. Digoxin relieves symptoms without a mortality benefit. "
            "Verapamil is a negative inotrope that worsens heart failure with reduced ejection fraction.",
            "Spironolactone, a mineralocorticoid receptor antagonist, reduces mortality; check serum potassium, as it "
            "causes hyperkalemia. " * 3,
        ]),
        ("Angina", ["Stable angina is chest pain on exertion relieved by rest. Nitroglycerin relieves acute pain by "
                    "venodilation, which lowers preload. The first-line treatment is a beta blocker. " * 4]),
    ]
)  # fmt: skip


@pytest.fixture
def student_world(settings, tmp_path, monkeypatch):
    """A student with a processed material, a bank, a tutor block with one answered question, an
    ended block and a paused timed one, a conversation with the coach and a learning path."""
    settings.MEDIA_ROOT = tmp_path
    student = factories.UserFactory(email="lena@example.com", name="Lena Longname-Oyelaran-Vasquez")
    with rls_context(user_id=student.pk):
        material = materials_services.material_upload(
            user=student,
            file=ContentFile(NOTES, name="a-very-long-file-name-for-cardiology-heart-failure-notes-final-v2.md"),
            title="Cardiology: heart failure, angina and the drugs that change mortality in both",
            tags=["step-1", "cardiology", "pharmacology", "high-yield"],
            enqueue=False,
        )
    materials_services.material_process_now(material=material)
    for _ in range(3):
        question = factories.QuestionFactory(is_verified=True, topic="Cardiology", subtopic="Heart failure")
        for index, text in enumerate(question.options):
            factories.QuestionOptionFactory(
                question=question, option_index=index, option_text=text, rationale=f"Why {text} is or is not right."
            )
        factories.QuestionExplanationFactory(question=question)
        Question.objects.filter(pk=question.pk).update(times_answered=40, times_correct=25,
                                                       answer_counts=[25, 5, 4, 3, 3])  # fmt: skip
    with rls_context(user_id=student.pk):
        ids = list(Question.objects.filter(is_verified=True).values_list("pk", flat=True))
        block = practice_services.block_start_from_questions(user=student, question_ids=ids)
        practice_services.answer_submit(user=student, session_id=block.pk, position=1, selected_index=1)
        done = practice_services.block_start_from_questions(user=student, question_ids=ids)
        practice_services.answer_submit(user=student, session_id=done.pk, position=1, selected_index=0)
        practice_services.session_finish(session=done)
        paused = practice_services.block_start_from_questions(user=student, question_ids=ids, mode="timed")
        practice_services.session_pause(session=paused)
    monkeypatch.setattr("coach.tasks.reply_write.delay", lambda *args: None)  # written below, at once
    with rls_context(user_id=student.pk):
        conversation = coach_services.conversation_start(
            user=student, question="Which drugs reduce mortality in heart failure with reduced ejection fraction?"
        )
        coach_paths.path_create(user=student, name="Cardiology before the shelf exam, then everything else",
                                milestones=[("Anatomy", []), ("Cardiology", ["Anatomy"])])  # fmt: skip
    with rls_context(role=ROLE_SYSTEM):
        reply = ChatMessage.objects.get(conversation=conversation, role="assistant")
    coach_services.reply_write(reply_id=reply.pk)
    with rls_context(role=ROLE_SYSTEM):
        material.refresh_from_db()
        assert ChatMessage.objects.get(pk=reply.pk).citations  # a cited answer on the page
    return student, material, block, done, paused


def _pages(material, block, done, paused) -> dict[str, str]:
    with rls_context(role=ROLE_SYSTEM):
        conversation = ChatMessage.objects.filter(role="assistant").first().conversation_id
        path = material.user.learning_paths.get().pk
    return {
        "progress": "/progress/?range=all",
        "coach": "/coach/",
        "coach conversation": f"/coach/{conversation}/",
        "learning paths": "/coach/paths/",
        "learning path": f"/coach/paths/{path}/",
        "home (the dashboard)": "/",
        "reviews and leeches": "/reviews/",
        "library": "/materials/",
        "search": "/materials/?q=beta+blockers+in+heart+failure",
        "search without results": "/materials/?q=xyzzy+nonsense",
        "material and reader": f"/materials/{material.pk}/",
        "upload": "/materials/upload/",
        "practice builder": "/practice/",
        "answered question": f"/practice/{block.pk}/q/1/",
        "unanswered question": f"/practice/{block.pk}/q/2/",
        "block summary": f"/practice/{done.pk}/summary/",
        "paused block": f"/practice/{paused.pk}/q/1/",
        "profile": "/accounts/profile/",
        "missing page": "/materials/00000000-0000-0000-0000-000000000000/",
    }


def _overflow(page) -> str:
    """What sticks out past the right edge, if anything ("" when the page fits)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return "";
            return [...document.querySelectorAll("body *")]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .slice(0, 4).map(e => `${e.tagName}.${e.className}`).join(", ");
        }"""
    )


@pytest.mark.parametrize("size", SIZES)
def test_no_student_page_scrolls_sideways(browser, live_server, student_world, size):
    student, material, block, done, paused = student_world
    width, height = SIZES[size]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        for name, url in {"login": "/accounts/login/", "signup": "/accounts/signup/",
                          "password reset": "/accounts/reset/"}.items():  # fmt: skip
            page.goto(url)
            assert _overflow(page) == "", f"{name} at {size}"
        log_in(page, student)
        for name, url in _pages(material, block, done, paused).items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert _overflow(page) == "", f"{name} ({url}) at {size}: {_overflow(page)}"
        page.goto(f"/practice/{block.pk}/q/1/")
        assert page.locator(".block-verdict").first.is_visible()
        option = page.locator(".block-option.is-chosen").bounding_box()
        for inside in (".block-option.is-chosen .block-verdict", ".block-option.is-chosen .block-peer"):
            box = page.locator(inside).bounding_box()
            assert option["x"] <= box["x"] and box["x"] + box["width"] <= option["x"] + option["width"] + 0.5, inside
    finally:
        context.close()
