"""The coach's answerers (coach/answering.py): offline, and OpenAI-compatible against a fake
server on loopback that speaks the real wire format."""

import json

import pytest

from coach.answering import LLMAnswerer, OfflineAnswerer, Source, TransientAnswerError, Turn, cited_reply
from tests.coach.conftest import CARDIO, RENAL
from tests.fake_openai import FakeOpenAI


def _sources(paragraphs=RENAL, title="Pathoma Ch. 12: Kidney", first_page=3):
    return [
        Source(number=i, chunk_id=f"chunk-{i}", material_id="m-1", material_title=title, page=first_page + i - 1,
               heading="", text=text)
        for i, text in enumerate(paragraphs, start=1)
    ]  # fmt: skip


def test_offline_answers_with_the_notes_own_sentences_each_cited():
    reply = OfflineAnswerer().answer(question="What is the most common cause of nephrotic syndrome in children?",
                                     sources=_sources())  # fmt: skip
    assert reply.found
    first = "Minimal change disease is the most common cause of nephrotic syndrome in children. [1]"
    assert reply.text.startswith(first)
    assert reply.cited[0] == 1
    assert "Minimal change disease is the most common cause" in reply.quotes[1]
    for sentence in reply.text.split(" [")[0:1]:
        assert sentence in RENAL[0]  # nothing the notes do not say


def test_offline_leaves_the_notes_reference_lines_to_the_citation():
    notes = ("Inferior infarcts often involve the right ventricle: avoid nitrates and give fluids if hypotensive. "
             "Source: First Aid for the USMLE Step 1, Cardiovascular: myocardial infarction.")  # fmt: skip
    reply = OfflineAnswerer().answer(question="Why should nitrates be avoided in an inferior myocardial infarction?",
                                     sources=_sources([notes], title="First Aid Cardiology chapter"))  # fmt: skip
    assert reply.text == (
        "Inferior infarcts often involve the right ventricle: avoid nitrates and give fluids if hypotensive. [1]"
    )
    assert "Source:" not in reply.quotes[1]
    # What a reference line names the passages are about: "Clostridioides" is covered by it.
    notes = ["Oral vancomycin (or fidaxomicin) treats C. difficile colitis.",
             "Source: First Aid for the USMLE Step 1, Microbiology: Clostridioides difficile."]  # fmt: skip
    reply = OfflineAnswerer().answer(question="How is Clostridioides difficile treated?", sources=_sources(notes))
    assert reply.text == "Oral vancomycin (or fidaxomicin) treats C. difficile colitis. [1]"


def test_offline_follow_up_uses_the_previous_question():
    history = [Turn("user", "What is membranous nephropathy associated with?"), Turn("assistant", "…")]
    reply = OfflineAnswerer().answer(question="And in which age group is it most common?", sources=_sources(),
                                     history=history)  # fmt: skip
    assert reply.cited[0] == 2


def test_offline_refuses_when_no_passage_says_anything_about_it():
    reply = OfflineAnswerer().answer(question="How is warfarin reversed?", sources=_sources(CARDIO))
    assert not reply.found and reply.cited == []
    assert reply.text.startswith("I can't answer that from your materials")
    assert "warfarin" in reply.text  # it says what to upload


def test_a_citation_of_a_passage_not_given_is_dropped():
    sources = {s.number: s for s in _sources()}
    reply = cited_reply("Minimal change disease is most common in children [1, 7]. It is treated with X [9].", sources)
    assert reply.text == "Minimal change disease is most common in children [1]. It is treated with X."
    assert reply.cited == [1]
    assert not cited_reply("Something the model knows [5].", sources).found
    assert not cited_reply("NOT_IN_SOURCES", sources).found


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


def test_the_openai_backend_sends_the_numbered_passages_and_reads_citations(server):
    server.chat_replies.append("Minimal change disease is the most common cause in children [1]; "
                               "in adults it is membranous nephropathy [2][4].")  # fmt: skip
    answerer = LLMAnswerer(api_base=server.base_url, api_key="test-key", model="coach-test", timeout=5)
    reply = answerer.answer(question="Most common cause of nephrotic syndrome?", sources=_sources(),
                            history=[Turn("user", "Hi"), Turn("assistant", "Hello")])  # fmt: skip
    assert reply.found and reply.cited == [1, 2] and "[4]" not in reply.text
    assert (reply.prompt_tokens, reply.completion_tokens) == (10, 10)
    path, headers, body = server.requests[0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == "Bearer test-key"
    assert body["model"] == "coach-test"
    system = body["messages"][0]
    assert system["role"] == "system" and "ONLY the numbered passages" in system["content"]
    assert "[3] (Pathoma Ch. 12: Kidney, page 5)" in system["content"]
    assert [m["role"] for m in body["messages"][1:]] == ["user", "assistant", "user"]
    json.dumps(body)  # the real wire format: plain JSON


def test_the_openai_backend_refuses_what_it_cannot_cite(server):
    server.chat_replies += ["NOT_IN_SOURCES", "Warfarin is reversed with vitamin K [8]."]
    answerer = LLMAnswerer(api_base=server.base_url, api_key="test-key", timeout=5)
    for _ in range(2):
        reply = answerer.answer(question="How is warfarin reversed?", sources=_sources())
        assert not reply.found and reply.text.startswith("I can't answer that from your materials")


def test_a_timeout_is_a_transient_error(server):
    server.chat_delay = 1.0
    answerer = LLMAnswerer(api_base=server.base_url, api_key="test-key", timeout=0.2)
    with pytest.raises(TransientAnswerError, match="cannot reach"):
        answerer.answer(question="Anything?", sources=_sources())


def test_a_new_subject_after_a_question_is_not_answered_from_the_earlier_one():
    history = [Turn("user", "What is membranous nephropathy associated with?"), Turn("assistant", "…")]
    reply = OfflineAnswerer().answer(question="How is warfarin reversed?", sources=_sources(), history=history)
    assert not reply.found
