"""The coach's pages, as the student uses them."""

import pytest
from django.urls import reverse

from coach.models import ChatConversation, ChatMessage, LearningPath, MessageStatus
from practice.models import PracticeSession
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(student_client, renal, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("coach:index"), {
            "text": "What is the most common cause of nephrotic syndrome in children?",
            "conversation_type": "exploration", "materials": [str(renal.pk)],
        })  # fmt: skip
    assert response.status_code == 302
    return ChatConversation.objects.get()


def test_asking_shows_a_cited_answer_linking_to_the_highlighted_passage(student_client, asked, renal):
    page = student_client.get(reverse("coach:conversation", args=[asked.pk])).content.decode()
    assert "Minimal change disease is the most common cause of nephrotic syndrome in children." in page
    chunk = renal.chunks.get(page_number=3)
    link = f"{reverse('materials:detail', args=[renal.pk])}?chunk={chunk.pk}#passage"
    assert f'href="{link}"' in page
    assert "Pathoma Ch. 12: Kidney, page 3" in page and 'class="cite-quote"' in page
    reader = student_client.get(link).content.decode()
    assert '<mark id="passage">Minimal change disease is the most common cause' in reader


def test_a_pending_reply_polls_and_a_failed_one_offers_a_retry(student_client, student):
    conversation = factories.ConversationFactory(user=student)
    reply = factories.MessageFactory(conversation=conversation, role="assistant", content="", status="pending")
    page = student_client.get(reverse("coach:reply", args=[reply.pk])).content.decode()
    assert f'hx-get="{reverse("coach:reply", args=[reply.pk])}"' in page and "Thinking" in page
    ChatMessage.objects.filter(pk=reply.pk).update(status=MessageStatus.FAILED, content="The coach could not answer.")
    page = student_client.get(reverse("coach:reply", args=[reply.pk])).content.decode()
    assert "hx-get" not in page and "The coach could not answer." in page
    assert reverse("coach:retry", args=[reply.pk]) in page


def test_another_students_conversation_is_not_found(client, peer, asked):
    client.force_login(peer)
    assert client.get(reverse("coach:conversation", args=[asked.pk])).status_code == 404
    reply = asked.messages.get(role="assistant")
    assert client.get(reverse("coach:reply", args=[reply.pk])).status_code == 404


def test_search_archive_and_unarchive(student_client, asked):
    index = reverse("coach:index")
    assert (
        asked.title in student_client.get(index, {"q": "minimal changes"}).content.decode()
    )  # the answer's words, stemmed
    assert "No conversation mentions" in student_client.get(index, {"q": "warfarin"}).content.decode()
    link = f'href="{reverse("coach:conversation", args=[asked.pk])}"'
    student_client.post(reverse("coach:archive", args=[asked.pk]), {"archived": "1"})
    assert link not in student_client.get(index).content.decode()
    assert link in student_client.get(index, {"archived": "1"}).content.decode()
    student_client.post(reverse("coach:archive", args=[asked.pk]), {"archived": "0"})
    assert link in student_client.get(index).content.decode()


def test_an_empty_question_or_no_material_ticked_is_refused_with_a_message(student_client, renal):
    response = student_client.post(reverse("coach:index"), {"text": "  ", "conversation_type": "exploration"})
    page = response.content.decode()
    assert response.status_code == 200 and "This field is required." in page
    assert "Tick at least one material" in page
    assert not ChatConversation.objects.exists()


def test_explain_this_question_from_the_explanation(student_client, student, renal):
    question = factories.QuestionFactory(material=renal, topic="Renal")
    response = student_client.post(reverse("coach:explain", args=[question.pk]))
    conversation = ChatConversation.objects.get(user=student)
    assert response.url == reverse("coach:conversation", args=[conversation.pk])
    assert conversation.conversation_type == "teaching" and conversation.metadata["question"] == str(question.pk)
    page = student_client.get(response.url).content.decode()
    assert "Write me a fresh question on this point" in page
    hidden = factories.QuestionFactory(material=factories.MaterialFactory(), is_verified=False)
    assert student_client.post(reverse("coach:explain", args=[hidden.pk])).status_code == 404


def test_accepting_the_proposed_path_and_practising_its_next_milestone(student_client, student):
    factories.MaterialFactory(user=student, topic="Anatomy")
    factories.MaterialFactory(user=student, topic="Cardiology")
    for _ in range(3):
        factories.QuestionFactory(is_verified=True, topic="Anatomy")
    page = student_client.get(reverse("coach:paths")).content.decode()
    assert 'value="Anatomy" checked' in page and "after Anatomy" in page
    response = student_client.post(reverse("coach:paths"), {"name": "Boards", "topics": ["Anatomy", "Cardiology"]})
    path = LearningPath.objects.get(user=student)
    assert response.url == reverse("coach:path", args=[path.pk]) and path.total_milestones == 2
    page = student_client.get(response.url).content.decode()
    assert "Next: Anatomy" in page and "Practise Anatomy" in page
    built = student_client.post(reverse("practice:builder"), {"mode": "tutor", "topics": "Anatomy", "size": "10",
                                                              "pool": "all"})  # fmt: skip
    session = PracticeSession.objects.get(user=student)
    assert built.url == reverse("practice:block", args=[session.pk]) and session.total_questions == 3


def test_a_move_that_breaks_a_prerequisite_shows_why(student_client, student):
    factories.MaterialFactory(user=student, topic="Anatomy")
    factories.MaterialFactory(user=student, topic="Cardiology")
    student_client.post(reverse("coach:paths"), {"topics": ["Anatomy", "Cardiology"]})
    path = LearningPath.objects.get(user=student)
    cardio = path.milestones.get(topic="Cardiology")
    response = student_client.post(reverse("coach:path_edit", args=[path.pk]),
                                   {"action": "up", "milestone": str(cardio.pk)}, follow=True)  # fmt: skip
    assert "“Cardiology” needs “Anatomy” first" in response.content.decode()
    assert student_client.post(reverse("coach:path_edit", args=[path.pk]),
                               {"action": "up", "milestone": "not-a-uuid"}).status_code == 302  # fmt: skip


def test_the_topic_filter_keeps_to_materials_of_that_topic(student_client, renal, cardio, eager_celery,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    page = student_client.get(reverse("coach:index")).content.decode()
    assert '<option value="Renal">Renal</option>' in page and '<option value="Cardiology">Cardiology</option>' in page
    with django_capture_on_commit_callbacks(execute=True):
        student_client.post(reverse("coach:index"), {
            "text": "What is the most common cause of nephrotic syndrome in children?", "topic": "Cardiology",
            "conversation_type": "exploration", "materials": [str(renal.pk), str(cardio.pk)],
        })  # fmt: skip
    conversation = ChatConversation.objects.get()
    reply = conversation.messages.get(role="assistant")
    assert reply.context["topic"] == "Cardiology" and reply.context["found"] is False
    page = student_client.get(reverse("coach:conversation", args=[conversation.pk])).content.decode()
    assert '<option value="Cardiology" selected>Cardiology</option>' in page


def test_asking_again_in_a_conversation(student_client, asked, renal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(reverse("coach:conversation", args=[asked.pk]), {
            "text": "What is membranous nephropathy associated with?", "materials": [str(renal.pk)], "topic": "",
        })  # fmt: skip
    assert response.url == reverse("coach:conversation", args=[asked.pk])
    last = asked.messages.filter(role="assistant").order_by("-created_at").first()
    assert last.status == MessageStatus.DONE and "phospholipase A2 receptor" in last.content
