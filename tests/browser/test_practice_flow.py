import datetime
import re

import pytest
from django.utils import timezone

from practice.models import PracticeSession, SessionStatus
from questions.models import UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rita():
    return factories.UserFactory(email="rita@example.com", name="Rita Resident")


@pytest.fixture
def logged_in_page(page, rita):
    return log_in(page, rita)


@pytest.fixture
def bank():
    """Three cardiology questions (A is correct) with explanations, and two renal ones."""
    for _ in range(3):
        question = factories.QuestionFactory(is_verified=True, topic="Cardiology")
        factories.QuestionExplanationFactory(
            question=question,
            correct_explanation="Aspirin irreversibly inhibits platelet COX-1 and lowers mortality.",
            incorrect_explanations={"2": "Morphine eases pain but may raise mortality."},
        )
    for _ in range(2):
        factories.QuestionFactory(is_verified=True, topic="Renal")


def _on_question(page, position: int) -> None:
    page.get_by_role("heading", name=f"Question {position} of 3").wait_for()
    page.wait_for_load_state()  # practice.js (deferred) listens for the keys


def test_a_student_practises_a_tutor_block_with_the_keyboard(logged_in_page, bank):
    page = logged_in_page
    page.get_by_role("link", name="Practice").click()
    page.get_by_text("5 questions match").wait_for()

    page.get_by_label("Cardiology (3)").check()
    page.get_by_text("3 questions match").wait_for()  # the count follows the choices (htmx)
    page.get_by_label("Block size").fill("3")
    page.get_by_role("button", name="Start block").click()

    _on_question(page, 1)
    page.keyboard.press("A")
    assert page.get_by_label("A. Aspirin").is_checked()
    page.keyboard.press("Enter")
    page.get_by_text("Correct.").wait_for()
    assert "COX-1" in page.locator(".block-explanation").inner_text()

    page.keyboard.press("M")
    page.get_by_role("button", name="Unmark").wait_for()
    assert page.locator(".block-cell.is-marked").count() == 1

    page.keyboard.press("N")
    _on_question(page, 2)
    page.keyboard.press("X")
    page.keyboard.press("B")
    page.locator(".block-option.is-struck").wait_for()
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.get_by_text("Incorrect.").wait_for()
    # Each option's rationale once, under the option.
    assert page.get_by_text("Morphine eases pain").count() == 1
    assert page.locator(".block-option", has_text="Morphine eases pain").count() == 1

    page.keyboard.press("ArrowLeft")
    _on_question(page, 1)
    page.get_by_role("link", name="3", exact=True).click()
    _on_question(page, 3)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End block").click()
    page.get_by_role("heading", name="Block summary").wait_for()
    assert "1 of 3 correct" in page.locator(".summary-score").inner_text()
    assert re.search(r"/practice/[0-9a-f-]+/summary/$", page.url)

    with rls_context(role=ROLE_SYSTEM):
        session = PracticeSession.objects.get()
        assert (session.status, session.correct_count, session.current_position) == (SessionStatus.COMPLETED, 1, 3)
        items = list(session.items.order_by("question_order"))
        assert [(i.selected_index, i.is_marked) for i in items] == [(0, True), (2, False), (None, False)]
        assert items[1].struck_options == [1]
        assert UserQuestionAttempt.objects.filter(session_id=session.pk).count() == 2


def test_the_block_clock_ends_a_timed_block_at_zero(logged_in_page, rita):
    page = logged_in_page
    session = factories.PracticeSessionFactory(
        user=rita, session_type="timed", total_questions=1, time_limit_seconds=3,
        resumed_at=timezone.now() - datetime.timedelta(seconds=1),
    )  # fmt: skip
    question = factories.QuestionFactory(is_verified=True)
    factories.PracticeSessionQuestionFactory(session=session, question=question, question_order=1)
    page.goto(f"/practice/{session.pk}/")
    page.get_by_role("timer").wait_for()
    page.get_by_role("heading", name="Block summary").wait_for()  # no click: the clock ended it
    with rls_context(role=ROLE_SYSTEM):
        session.refresh_from_db()
        assert session.status == SessionStatus.COMPLETED and session.total_time_seconds <= 3


def test_an_answer_shows_what_it_earned_and_the_dashboard_shows_xp_and_the_streak(logged_in_page, bank, rita):
    page = logged_in_page
    assert page.url.endswith("/dashboard/")  # the first page after logging in
    assert "0 days" in page.locator(".dash-tiles").inner_text()
    page.get_by_role("link", name="New block").click()
    page.get_by_label("Cardiology (3)").check()
    page.get_by_role("button", name="Start block").click()
    _on_question(page, 1)
    page.get_by_label("A. Aspirin").check()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.get_by_text("Correct.").wait_for()
    celebration = page.locator(".reward").inner_text()
    assert "XP" in celebration and "1-day streak" in celebration and "Next review" in celebration

    page.get_by_role("link", name="Dashboard").click()
    tiles = page.locator(".dash-tiles").inner_text()
    assert "🔥 1 day" in tiles and "XP" in tiles
    with rls_context(role=ROLE_SYSTEM):
        rita.refresh_from_db()
        assert rita.xp > 0 and rita.current_streak == 1
    assert f"{rita.xp} XP" in tiles
