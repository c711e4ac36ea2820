import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus
from questions.models import UserQuestionAttempt
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EXPLAINED = "Rationale for"  # the options' rationales, shown only once the answer may be


def _question(**kwargs):
    """A verified question with option rationales and a full explanation. Option A is correct."""
    question = factories.QuestionFactory(is_verified=True, **kwargs)
    for index, text in enumerate(question.options):
        factories.QuestionOptionFactory(
            question=question, option_index=index, option_text=text, rationale=f"Rationale for {text}."
        )
    factories.QuestionExplanationFactory(
        question=question,
        correct_explanation="Aspirin irreversibly inhibits platelet COX-1 and lowers mortality.",
        incorrect_explanations={"1": "Nitroglycerin relieves the pain but does not lower mortality."},
        pathophysiology="Plaque rupture exposes collagen and tissue factor.",
        clinical_relevance="Give aspirin on first contact.",
    )
    return question


@pytest.fixture
def bank(student):
    """Three cardiology questions and one renal one, all verified."""
    cardiology = [_question(topic="Cardiology") for _ in range(3)]
    renal = _question(topic="Renal", difficulty="hard")
    return cardiology, renal


def _start(client, **data) -> PracticeSession:
    form = {"mode": "tutor", "pool": "all", "size": 20, **data}
    response = client.post(reverse("practice:builder"), form)
    session = PracticeSession.objects.latest("started_at")
    assert response.status_code == 302 and response["Location"] == reverse("practice:block", args=[session.pk])
    return session


def _url(name: str, session: PracticeSession, position: int | None = None) -> str:
    return reverse(f"practice:{name}", args=[session.pk] if position is None else [session.pk, position])


def _answer(client, session, position, choice, *, follow=False, **data):
    return client.post(_url("answer", session, position), {"choice": choice, **data}, follow=follow)


def _item(session, position) -> PracticeSessionQuestion:
    return PracticeSessionQuestion.objects.get(session=session, question_order=position)


def _set_clock(session, *, seconds_ago: int) -> None:
    PracticeSession.objects.filter(pk=session.pk).update(
        resumed_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


# --- Builder ------------------------------------------------------------------------------------


def test_pages_need_a_login(client):
    response = client.get(reverse("practice:builder"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_builder_offers_topics_with_counts_and_counts_the_matches(student_client, bank):
    page = student_client.get(reverse("practice:builder")).content.decode()
    assert "Cardiology (3)" in page and "Renal (1)" in page
    assert "<strong>4</strong> questions match" in page
    for mode in ("Tutor", "Timed", "Test", "Review"):
        assert f"<strong>{mode}</strong>" in page


def test_the_count_endpoint_returns_the_count_line_for_the_choices(student_client, bank):
    response = student_client.get(reverse("practice:count"), {"topics": ["Renal"], "size": 20}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and 'id="match-count"' in text and "<html" not in text
    assert "<strong>1</strong> question matches: the block will have 1, not 20." in text
    text = student_client.get(reverse("practice:count"), {"difficulties": ["easy"]}).content.decode()
    assert "<strong>0</strong> questions match" in text
    text = student_client.get(reverse("practice:count"), {"topics": ["Cardiology"], "size": 2}).content.decode()
    assert "<strong>3</strong> questions match." in text


def test_without_javascript_the_builder_shows_the_count_for_the_choices(student_client, bank):
    response = student_client.get(reverse("practice:builder"), {"topics": ["Cardiology"], "mode": "timed"})
    page = response.content.decode()
    assert response.status_code == 200 and "<strong>3</strong> questions match" in page
    assert 'value="timed" id="id_mode_1" checked' in page and 'value="Cardiology" id="id_topics_0" checked' in page
    assert not PracticeSession.objects.exists()


def test_an_empty_block_is_a_form_error_not_a_server_error(student_client, student, bank):
    response = student_client.post(
        reverse("practice:builder"), {"mode": "tutor", "pool": "all", "size": 10, "difficulties": ["easy"]}
    )
    assert response.status_code == 200
    assert "No questions match these choices" in response.content.decode()
    assert not PracticeSession.objects.filter(user=student).exists()


def test_an_invalid_size_is_a_form_error(student_client, student, bank):
    response = student_client.post(reverse("practice:builder"), {"mode": "tutor", "pool": "all", "size": 41})
    assert response.status_code == 200 and "less than or equal to 40" in response.content.decode()
    assert not PracticeSession.objects.filter(user=student).exists()


def test_a_block_larger_than_the_matches_starts_with_what_matches_and_says_so(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=10)
    assert session.total_questions == 3 and session.items.count() == 3
    page = student_client.get(_url("block", session), follow=True).content.decode()
    assert "Only 3 questions matched, so this block has 3." in page


def test_a_material_of_another_student_cannot_be_chosen(student_client, student, bank):
    other = factories.MaterialFactory()
    response = student_client.post(
        reverse("practice:builder"), {"mode": "tutor", "pool": "all", "size": 5, "material": other.pk}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not PracticeSession.objects.filter(user=student).exists()


def test_the_builder_lists_recent_blocks_with_resume_and_summary_links(student_client, bank):
    running = _start(student_client, size=1)
    ended = _start(student_client, size=1)
    student_client.post(_url("end", ended))
    page = student_client.get(reverse("practice:builder")).content.decode()
    assert f'href="{_url("block", running)}">Resume' in page
    assert f'href="{_url("summary", ended)}">Summary' in page


# --- Modes, end to end --------------------------------------------------------------------------


def test_a_tutor_block_explains_each_answer_at_once_and_ends_with_a_summary(student_client, student, bank):
    session = _start(student_client, mode="tutor", topics=["Cardiology"], size=3)
    assert session.session_type == "tutor" and session.time_limit_seconds is None

    response = student_client.get(_url("block", session))
    assert response["Location"] == _url("question", session, 1)
    page = student_client.get(_url("question", session, 1)).content.decode()
    assert "A. Aspirin" in page and "E. Furosemide" in page and EXPLAINED not in page
    assert 'class="block-clock' not in page  # untimed

    for position, choice in ((1, 0), (2, 1), (3, 0)):
        response = _answer(student_client, session, position, choice, confidence=3)
        assert response.status_code == 302 and response["Location"] == _url("question", session, position)
        item = _item(session, position)
        assert (item.selected_index, item.confidence_rating, item.answered_at is not None) == (choice, 3, True)
        page = student_client.get(_url("question", session, position)).content.decode()
        assert ("Correct." if choice == 0 else "Incorrect.") in page
        assert "The correct answer is A" in page or "The answer is A" in page
        assert "Aspirin irreversibly inhibits platelet COX-1" in page and "Rationale for Nitroglycerin." in page
        assert page.count("Rationale for Nitroglycerin.") == 1  # each rationale once, under its option
        assert "Plaque rupture exposes collagen" in page and "Give aspirin on first contact." in page
        assert "No other student has answered this question yet." in page  # never this student's own answer

    assert UserQuestionAttempt.objects.filter(user=student, session_id=session.pk, attempt_type="practice").count() == 3
    response = student_client.post(_url("end", session))
    assert response["Location"] == _url("summary", session)
    session.refresh_from_db()
    assert (session.status, session.correct_count) == (SessionStatus.COMPLETED, 2)

    page = student_client.get(_url("summary", session)).content.decode()
    assert "67%" in page and "2 of 3 correct" in page
    assert '<td class="card-title">Cardiology</td>' in page and page.count('<details class="summary-item') == 3
    assert "Review incorrect (1)" in page


@pytest.mark.parametrize(("mode", "attempt_type"), [("timed", "practice"), ("test", "test")])
def test_timed_and_test_blocks_give_no_feedback_until_the_block_ends(student_client, student, bank, mode, attempt_type):
    session = _start(student_client, mode=mode, topics=["Cardiology"], size=2)
    assert session.time_limit_seconds == 180

    page = student_client.get(_url("question", session, 1)).content.decode()
    assert 'class="block-clock' in page and 'data-time-left="' in page
    for position, choice in ((1, 0), (2, 3)):
        _answer(student_client, session, position, choice)
        page = student_client.get(_url("question", session, position)).content.decode()
        assert "Answer saved" in page
        for revealed in ("Correct.", "Incorrect.", EXPLAINED, "COX-1", "Rationale for", "is-correct", "is-incorrect"):
            assert revealed not in page
    summary = student_client.get(_url("summary", session)).content.decode()
    assert "This block is still running" in summary and "COX-1" not in summary and "50%" not in summary

    student_client.post(_url("end", session))
    attempts = UserQuestionAttempt.objects.filter(user=student, session_id=session.pk)
    assert sorted(attempts.values_list("attempt_type", "is_correct")) == [(attempt_type, False), (attempt_type, True)]
    summary = student_client.get(_url("summary", session)).content.decode()
    assert "50%" in summary and "1 of 2 correct" in summary and "COX-1" in summary
    assert summary.count("Rationale for Nitroglycerin.") == 2  # once under each of the two questions
    assert "XP earned" in summary and "First Steps" in summary  # what the block earned, its first answer included
    # After the end, the questions themselves are explained too, and can still be marked.
    assert "Incorrect." in student_client.get(_url("question", session, 2)).content.decode()
    student_client.post(_url("mark", session, 2), {"marked": "1"})
    assert _item(session, 2).is_marked is True


def test_a_review_block_practises_the_due_cards_most_forgotten_first(student_client, student, bank):
    cardiology, renal = bank
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        answer(student, cardiology[0], correct=False)  # forgotten: due again in minutes
        answer(student, cardiology[1], correct=True, confidence=3)  # Good: a learning step of minutes
        answer(student, cardiology[2], correct=True, confidence=5)  # Easy: due in days
    with time_machine.travel(t0 + datetime.timedelta(hours=2), tick=False):
        session = _start(student_client, mode="review", size=20)
        assert list(session.items.values_list("question_id", flat=True)) == [cardiology[0].pk, cardiology[1].pk]
        _answer(student_client, session, 1, 0)
        page = student_client.get(_url("question", session, 1)).content.decode()
    assert "Correct." in page and "COX-1" in page and "XP" in page  # the celebration of what it earned
    attempt = UserQuestionAttempt.objects.get(user=student, session_id=session.pk)
    assert (attempt.attempt_type, attempt.is_correct) == ("review", True)


def test_a_review_block_with_nothing_due_says_so(student_client, student, bank):
    response = student_client.post(reverse("practice:builder"), {"mode": "review", "size": 20})
    assert response.status_code == 200 and "No reviews are due" in response.content.decode()


def test_review_incorrect_starts_a_tutor_block_of_the_missed_and_unanswered_questions(student_client, student, bank):
    session = _start(student_client, topics=["Cardiology"], size=3)
    _answer(student_client, session, 1, 0)
    _answer(student_client, session, 2, 4)
    student_client.post(_url("end", session))

    response = student_client.post(_url("review_incorrect", session))
    review = PracticeSession.objects.exclude(pk=session.pk).get(user=student)
    assert response["Location"] == _url("block", review)
    assert review.session_type == "tutor" and review.status == SessionStatus.ACTIVE
    missed = [_item(session, 2).question_id, _item(session, 3).question_id]
    assert list(review.items.values_list("question_id", flat=True)) == missed


def test_review_incorrect_after_a_perfect_block_says_there_is_nothing_to_review(student_client, student, bank):
    session = _start(student_client, topics=["Renal"], size=1)
    _answer(student_client, session, 1, 0)
    student_client.post(_url("end", session))
    response = student_client.post(_url("review_incorrect", session), follow=True)
    assert "nothing to review" in response.content.decode()
    assert PracticeSession.objects.filter(user=student).count() == 1


# --- Working on a question -----------------------------------------------------------------------


def test_mark_strike_out_confidence_and_the_choice_persist(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=3)
    response = student_client.post(_url("mark", session, 1), {"marked": "1"})
    assert response["Location"] == _url("question", session, 1) and _item(session, 1).is_marked is True
    student_client.post(_url("mark", session, 1), {"marked": "1"})  # a retried request does not undo it
    assert _item(session, 1).is_marked is True

    student_client.post(_url("strike", session, 1), {"strike": "2"})
    student_client.post(_url("strike", session, 1), {"strike": "4", "choice": "1"})
    item = _item(session, 1)
    assert (item.struck_options, item.selected_index) == ([2, 4], 1)
    student_client.post(_url("strike", session, 1), {"restore": "2"})
    assert _item(session, 1).struck_options == [4]

    student_client.post(_url("save", session, 1), {"confidence": "4", "choice": "3"})
    item = _item(session, 1)
    assert (item.confidence_rating, item.selected_index, item.answered_at) == (4, 3, None)

    page = student_client.get(_url("question", session, 1)).content.decode()
    assert "block-option is-struck" in page and 'value="3" checked' in page and 'value="4" checked' in page
    assert 'aria-pressed="true"' in page and "is-marked" in page

    student_client.post(_url("mark", session, 1), {"marked": "0"})
    assert _item(session, 1).is_marked is False


def test_an_option_that_does_not_exist_is_refused(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=1)
    response = _answer(student_client, session, 1, 7, follow=True)
    assert "That option does not exist." in response.content.decode()
    assert _item(session, 1).answered_at is None and not UserQuestionAttempt.objects.exists()


def test_a_confidence_out_of_range_is_refused_with_its_own_message(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=1)
    response = _answer(student_client, session, 1, 0, confidence="9", follow=True)
    assert "Confidence goes from 1 (a guess) to 5 (certain)." in response.content.decode()
    assert _item(session, 1).answered_at is None and not UserQuestionAttempt.objects.exists()


def test_submitting_without_a_choice_asks_for_one(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=1)
    response = student_client.post(_url("answer", session, 1), {"confidence": "2"}, follow=True)
    assert "Choose an answer first." in response.content.decode()
    item = _item(session, 1)
    assert (item.answered_at, item.confidence_rating) == (None, 2)
    assert not UserQuestionAttempt.objects.exists()


def test_navigation_saves_the_position_and_opening_the_block_returns_to_it(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=3)
    assert _item(session, 3).shown_at is None
    page = student_client.get(_url("question", session, 3)).content.decode()
    assert 'id="block-prev"' in page and 'id="block-next"' not in page
    session.refresh_from_db()
    assert session.current_position == 3 and _item(session, 3).shown_at is not None
    assert student_client.get(_url("block", session))["Location"] == _url("question", session, 3)
    student_client.get(_url("question", session, 2))
    session.refresh_from_db()
    assert session.current_position == 2
    assert student_client.get(_url("question", session, 4)).status_code == 404


def test_a_double_submit_records_one_attempt(student_client, student, bank):
    session = _start(student_client, topics=["Cardiology"], size=1)
    first = _answer(student_client, session, 1, 2)
    again = _answer(student_client, session, 1, 0)
    assert first.status_code == again.status_code == 302
    attempt = UserQuestionAttempt.objects.get(user=student)
    assert (attempt.selected_index, attempt.is_correct) == (2, False)
    item = _item(session, 1)
    assert (item.selected_index, item.is_correct) == (2, False)
    session.refresh_from_db()
    assert session.correct_count == 0


# --- Pause, the clock, ending --------------------------------------------------------------------


def test_pause_hides_the_question_stops_the_clock_and_resume_restores_it(student_client, bank):
    cardiology, _ = bank
    session = _start(student_client, mode="timed", topics=["Cardiology"], size=2)
    student_client.get(_url("question", session, 2))
    _set_clock(session, seconds_ago=40)

    response = student_client.post(_url("pause", session))
    assert response["Location"] == _url("block", session)
    session.refresh_from_db()
    assert session.status == SessionStatus.PAUSED and 40 <= session.elapsed_seconds <= 42
    elapsed = session.elapsed_seconds

    page = student_client.get(_url("block", session), follow=True).content.decode()
    assert "Paused" in page and "Resume" in page
    assert "A 58-year-old man" not in page and "Aspirin" not in page
    assert f'data-time-left="{180 - elapsed}"' in page and "data-running" not in page
    # Requests while paused, however late, do not use the block's time.
    student_client.get(_url("question", session, 1))
    assert _answer(student_client, session, 1, 0).status_code == 302
    session.refresh_from_db()
    assert (session.elapsed_seconds, session.status, session.current_position) == (elapsed, SessionStatus.PAUSED, 2)
    assert not UserQuestionAttempt.objects.exists()

    response = student_client.post(_url("resume", session))
    assert student_client.get(response["Location"])["Location"] == _url("question", session, 2)
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE and session.elapsed_seconds == elapsed
    page = student_client.get(_url("question", session, 2)).content.decode()
    assert "A 58-year-old man" in page and "data-running" in page


def test_answering_again_in_a_paused_or_ended_block_shows_the_block_not_the_question(student_client, bank):
    session = _start(student_client, mode="timed", topics=["Cardiology"], size=2)
    _answer(student_client, session, 1, 0)
    student_client.post(_url("pause", session))
    response = student_client.post(_url("answer", session, 1), {"choice": "0"}, **HTMX)
    assert response["HX-Redirect"] == _url("question", session, 1) and "A 58-year-old man" not in response.text
    student_client.post(_url("resume", session))
    student_client.post(_url("end", session))
    response = student_client.post(_url("answer", session, 1), {"choice": "0"}, **HTMX)
    assert response["HX-Redirect"] == _url("question", session, 1)
    assert UserQuestionAttempt.objects.count() == 1


def test_an_expired_timed_block_ends_itself_on_the_next_request(student_client, bank):
    session = _start(student_client, mode="timed", topics=["Cardiology"], size=1)
    _set_clock(session, seconds_ago=500)

    response = student_client.get(_url("question", session, 1))
    assert response["Location"] == _url("summary", session)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED and session.total_time_seconds == 90
    page = student_client.get(response["Location"]).content.decode()
    assert "Time is up" in page and "0 of 1 correct" in page and "Not answered" in page


def test_an_answer_after_the_clock_ran_out_is_not_recorded(student_client, bank):
    session = _start(student_client, mode="test", topics=["Cardiology"], size=1)
    _set_clock(session, seconds_ago=500)
    response = _answer(student_client, session, 1, 0)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED and session.total_time_seconds == 90
    assert _item(session, 1).answered_at is None and not UserQuestionAttempt.objects.exists()


def test_the_summary_of_a_running_block_offers_to_end_it_first(student_client, bank):
    session = _start(student_client, topics=["Cardiology"], size=2)
    _answer(student_client, session, 1, 0)
    page = student_client.get(_url("summary", session)).content.decode()
    assert "This block is still running" in page and f'action="{_url("end", session)}"' in page
    assert "<h1>Block summary</h1>" not in page and "correct</span>" not in page
    assert student_client.post(_url("end", session))["Location"] == _url("summary", session)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED and session.completed_at is not None
    # Ending twice is harmless.
    assert student_client.post(_url("end", session))["Location"] == _url("summary", session)


# --- Permissions, htmx, references ---------------------------------------------------------------


def test_another_students_block_is_not_found(student_client, peer, bank):
    cardiology, _ = bank
    session = factories.PracticeSessionFactory(user=peer, total_questions=1)
    factories.PracticeSessionQuestionFactory(session=session, question=cardiology[0], question_order=1)
    for url in (_url("block", session), _url("question", session, 1), _url("summary", session)):
        assert student_client.get(url).status_code == 404
    for name in ("answer", "mark", "strike", "save"):
        assert student_client.post(_url(name, session, 1), {"choice": 0, "marked": "1"}).status_code == 404
    for name in ("pause", "resume", "end", "review_incorrect"):
        assert student_client.post(_url(name, session)).status_code == 404
    item = PracticeSessionQuestion.objects.get(session=session)
    assert (item.answered_at, item.is_marked) == (None, False)
    assert PracticeSession.objects.get(pk=session.pk).status == SessionStatus.ACTIVE
    assert not UserQuestionAttempt.objects.exists()


def test_htmx_requests_get_the_question_partial_only(student_client, student, bank):
    session = _start(student_client, topics=["Cardiology"], size=2)
    student_client.get(_url("question", session, 1))

    response = student_client.post(_url("mark", session, 1), {"marked": "1"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<div id="block-question"')
    assert "<html" not in text and "block-toolbar" not in text and 'aria-pressed="true"' in text

    text = student_client.post(_url("strike", session, 1), {"strike": "3"}, **HTMX).content.decode()
    assert "block-option is-struck" in text and "<html" not in text
    text = student_client.post(_url("save", session, 1), {"confidence": "5"}, **HTMX).content.decode()
    assert 'value="5" checked' in text and "<html" not in text

    response = student_client.post(_url("answer", session, 1), {"choice": "0"}, **HTMX)
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text and "Correct." in text and "COX-1" in text
    again = student_client.post(_url("answer", session, 1), {"choice": "0"}, **HTMX)
    assert again.status_code == 200 and UserQuestionAttempt.objects.filter(user=student).count() == 1
    assert (_item(session, 1).is_marked, _item(session, 1).struck_options) == (True, [3])

    # A block that has ended sends htmx to the summary as a whole page.
    student_client.post(_url("end", session))
    response = student_client.post(_url("answer", session, 2), {"choice": "0"}, **HTMX)
    assert response["HX-Redirect"] == _url("question", session, 2)


def test_references_link_to_the_passage_in_the_students_own_material(student_client, student):
    material = factories.MaterialFactory(user=student, title="Cardiology notes")
    chunk = factories.MaterialChunkFactory(material=material)
    question = factories.QuestionFactory(material=material, topic="Cardiology")
    factories.QuestionExplanationFactory(
        question=question,
        references=[{"page": 4, "heading": "Acute coronary syndrome", "quote": "Aspirin lowers mortality.",
                     "chunk_id": str(chunk.pk)}],
    )  # fmt: skip
    session = _start(student_client, size=1)
    _answer(student_client, session, 1, 0)
    page = student_client.get(_url("question", session, 1)).content.decode()
    link = f"{reverse('materials:detail', args=[material.pk])}?chunk={chunk.pk}#passage"
    assert f'href="{link}"' in page and "page 4: Acute coronary syndrome" in page
    assert "Aspirin lowers mortality." in page
