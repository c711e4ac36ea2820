"""The coach's conversations and task-driven replies (coach/services.py, coach/tasks.py)."""

import datetime

import pytest
from django.utils import timezone

from coach import services
from coach.models import ChatConversation, ChatMessage, ConversationType, MessageStatus
from questions.models import Question
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.django_db(transaction=True)


def _ask(student, text, **kwargs) -> ChatMessage:
    with rls_context(user_id=student.pk):  # as in the student's request
        conversation = services.conversation_start(user=student, question=text, **kwargs)
    with rls_context(role=ROLE_SYSTEM):
        return conversation.messages.get(role="assistant")


def _reload(message: ChatMessage) -> ChatMessage:
    with rls_context(role=ROLE_SYSTEM):
        return ChatMessage.objects.get(pk=message.pk)


def test_a_question_is_answered_by_the_task_with_citations_of_the_right_page(student, renal, cardio, eager_celery):
    reply = _reload(_ask(student, "What is the most common cause of nephrotic syndrome in children?"))
    assert reply.status == MessageStatus.DONE
    assert reply.content.startswith("Minimal change disease is the most common cause of nephrotic syndrome in children")
    first = reply.citations[0]
    assert first["material_id"] == str(renal.pk) and first["material_title"] == "Pathoma Ch. 12: Kidney"
    assert first["page"] == 3 and "Minimal change disease" in first["quote"]
    assert f"[{first['n']}]" in reply.content
    with rls_context(role=ROLE_SYSTEM):
        chunk = renal.chunks.get(page_number=3)
    assert first["chunk_id"] == str(chunk.pk)
    stored = reply.context["chunks"]
    assert stored[0]["id"] == str(chunk.pk) and stored[0]["score"] > 0 and "similarity" in stored[0]
    assert reply.token_count > 0 and reply.response_time_seconds is not None
    with rls_context(role=ROLE_SYSTEM):
        conversation = reply.conversation
        assert conversation.title == "What is the most common cause of nephrotic syndrome in children?"
        assert conversation.conversation_type == ConversationType.EXPLORATION


def test_the_material_switch_limits_the_answer(student, renal, cardio, eager_celery):
    reply = _reload(_ask(student, "What is the most common cause of nephrotic syndrome in children?",
                         material_ids=[cardio.pk]))  # fmt: skip
    assert reply.context["found"] is False and reply.citations == []
    assert reply.content.startswith("I can't answer that from your materials")


def test_a_follow_up_uses_the_conversation(student, renal, eager_celery):
    with rls_context(user_id=student.pk):
        conversation = services.conversation_start(
            user=student, question="What is membranous nephropathy associated with?"
        )
    with rls_context(user_id=student.pk):
        services.message_ask(user=student, conversation=conversation, text="And in which age group is it most common?")
    with rls_context(role=ROLE_SYSTEM):
        last = conversation.messages.filter(role="assistant").order_by("-created_at").first()
    assert "adults" in last.content and last.citations[0]["page"] == 4


def test_the_reply_fails_readably_when_the_model_never_answers_and_a_retry_answers(student, renal, eager_celery,
                                                                                   settings):  # fmt: skip
    with FakeOpenAI() as server:
        settings.COACH_ANSWERER, settings.LLM_API_BASE, settings.LLM_API_KEY = "openai", server.base_url, "test-key"
        server.fail_next(503, times=4)
        reply = _reload(_ask(student, "What is the most common cause of nephrotic syndrome in children?"))
        assert reply.status == MessageStatus.FAILED
        assert reply.content == "The coach's AI service did not answer in time. Nothing is lost: try again in a moment."
        assert len(server.requests) == 4  # the first try and three retries
        server.chat_replies.append("Minimal change disease [1].")
        with rls_context(user_id=student.pk):
            assert services.reply_retry(user=student, reply=reply)
        reply = _reload(reply)
    assert reply.status == MessageStatus.DONE and reply.content == "Minimal change disease [1]."
    assert reply.token_count == 20


def test_a_task_delivered_twice_writes_the_reply_once(student, renal, eager_celery):
    reply = _reload(_ask(student, "What slows diabetic nephropathy?"))
    with rls_context(role=ROLE_SYSTEM):
        ChatMessage.objects.filter(pk=reply.pk).update(content="kept")
    services.reply_write(reply_id=reply.pk)  # a second delivery: the reply is no longer pending
    assert _reload(reply).content == "kept"


def test_a_reply_whose_task_was_lost_ends_failed_after_the_timeout(student, renal, monkeypatch, settings):
    monkeypatch.setattr("coach.tasks.reply_write.delay", lambda *args: None)  # no worker ever takes it
    reply = _ask(student, "What slows diabetic nephropathy?")
    with rls_context(user_id=student.pk):
        assert not services.reply_expire(reply=reply)
    with rls_context(role=ROLE_SYSTEM):
        ChatMessage.objects.filter(pk=reply.pk).update(
            created_at=timezone.now() - datetime.timedelta(seconds=settings.COACH_REPLY_TIMEOUT + 1)
        )
    with rls_context(user_id=student.pk):
        assert services.reply_expire(reply=reply)
    reply = _reload(reply)
    assert reply.status == MessageStatus.FAILED and "took too long" in reply.content


def test_coach_messages_are_rate_limited_per_student(student, peer, monkeypatch, settings):
    monkeypatch.setattr("coach.tasks.reply_write.delay", lambda *args: None)
    settings.COACH_RATE_LIMIT = 2
    with rls_context(user_id=student.pk):
        conversation = services.conversation_start(user=student, question="One")
        services.message_ask(user=student, conversation=conversation, text="Two")
        with pytest.raises(services.RateLimited, match="try again in"):
            services.message_ask(user=student, conversation=conversation, text="Three")
    with rls_context(user_id=peer.pk):
        services.conversation_start(user=peer, question="Mine")  # another student's budget


def test_explain_this_question_opens_a_teaching_conversation_from_its_pages(student, renal, eager_celery):
    with rls_context(role=ROLE_SYSTEM):
        chunk = renal.chunks.get(page_number=3)
    question = factories.QuestionFactory(
        material=renal, topic="Renal", vignette="A 4-year-old boy has periorbital oedema and heavy proteinuria. "
        "Which of the following is the most likely diagnosis?",
        options=["Membranous nephropathy", "Minimal change disease", "IgA nephropathy", "Alport syndrome"],
        correct_index=1, metadata={"source_chunk_id": str(chunk.pk)},
    )  # fmt: skip
    factories.AttemptFactory(user=student, question=question, selected_index=0, is_correct=False)
    with rls_context(user_id=student.pk):
        conversation = services.explain_start(user=student, question=question)
    with rls_context(role=ROLE_SYSTEM):
        asked, reply = conversation.messages.order_by("created_at")
    assert conversation.conversation_type == ConversationType.TEACHING
    assert "I answered A. Membranous nephropathy; the answer is B. Minimal change disease." in asked.content
    assert reply.content.startswith("The best answer is B, Minimal change disease.")
    assert reply.citations and reply.citations[0]["chunk_id"] == str(chunk.pk)

    with rls_context(user_id=student.pk):
        services.vignette_request(user=student, conversation=conversation)
    with rls_context(role=ROLE_SYSTEM):
        written = conversation.messages.filter(role="assistant").order_by("-created_at").first()
        new = Question.objects.filter(material=renal).exclude(pk=question.pk)
        assert written.status == MessageStatus.DONE
        if written.context.get("question"):  # the generator wrote one: it is in the student's bank
            assert new.filter(pk=written.context["question"]).exists()
            assert written.content.startswith("I wrote a new question on")
        else:
            assert not new.exists() and "no new question" in written.content


def test_archive_and_unarchive(student, monkeypatch):
    monkeypatch.setattr("coach.tasks.reply_write.delay", lambda *args: None)
    with rls_context(user_id=student.pk):
        conversation = services.conversation_start(user=student, question="What is BNP?")
        services.conversation_archive(conversation=conversation, archived=True)
    with rls_context(role=ROLE_SYSTEM):
        assert ChatConversation.objects.get(pk=conversation.pk).is_archived
    with rls_context(user_id=student.pk):
        services.message_ask(user=student, conversation=conversation, text="And NT-proBNP?")
    with rls_context(role=ROLE_SYSTEM):
        assert not ChatConversation.objects.get(pk=conversation.pk).is_archived
