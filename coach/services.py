"""Writes for the coach: conversations, the student's messages and the replies a task writes.

A question is one transaction (the student's message, a pending reply, the conversation's
times); the reply is written by `coach.tasks.reply_write` after it commits, so a page never
waits on retrieval or a model. The task is idempotent: only a reply still pending is written,
by one UPDATE that checks it still is, so a redelivered task writes nothing twice.
"""

import datetime
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from coach.answering import Reply, Source, Turn, get_answerer, is_follow_up
from coach.models import ChatConversation, ChatMessage, ConversationType, MessageRole, MessageStatus
from materials.models import MaterialChunk
from materials.selectors import passages_search
from medtext.errors import ServiceError, TransientServiceError
from questions.generation import SourceChunk, get_generator
from questions.models import Question, UserQuestionAttempt
from questions.selectors import questions_visible_to
from questions.services import question_create_from_draft
from studyin.ratelimit import Limit, ratelimit_hit
from studyin.rls import ROLE_SYSTEM, rls_context

logger = logging.getLogger(__name__)

TITLE_LENGTH = 120
LETTERS = "ABCDEFGHIJ"


class RateLimited(Exception):
    def __init__(self, wait: int):
        super().__init__(f"You have asked the coach a lot in a short time: try again in {max(1, wait // 60)} min.")
        self.wait = wait


class NotExplainable(ValueError):
    """The conversation is not about a question, so there is no point to write a vignette on."""


def _rate_limit(user: User) -> None:
    """COACH_RATE_LIMIT messages per COACH_RATE_WINDOW seconds per student (Redis, seed 000's
    `studyin:ratelimit:{id}:coach`); with Redis down the message goes through."""
    wait = ratelimit_hit(
        endpoint="coach",
        limits=[Limit(subject=str(user.pk), attempts=settings.COACH_RATE_LIMIT, window=settings.COACH_RATE_WINDOW)],
    )
    if wait is not None:
        raise RateLimited(wait)


def conversation_start(
    *,
    user: User,
    question: str,
    conversation_type: str = ConversationType.EXPLORATION,
    material_ids: list | None = None,
    topic: str | None = None,
    metadata: dict | None = None,
) -> ChatConversation:
    """A new conversation, titled by its first question, with that question asked."""
    _rate_limit(user)
    with transaction.atomic():
        conversation = ChatConversation.objects.create(
            user=user, title=_title(question), conversation_type=conversation_type, metadata=metadata or {}
        )
        _ask(
            conversation, question, material_ids=material_ids, topic=topic, kind=(metadata or {}).get("kind", "answer")
        )
    return conversation


def message_ask(
    *, user: User, conversation: ChatConversation, text: str, material_ids: list | None = None, topic: str | None = None
) -> ChatMessage:
    """The student's next question in `conversation`; returns the pending reply. `material_ids`
    (None: all) and `topic` (None: any) say what it may be answered from."""
    _rate_limit(user)
    with transaction.atomic():
        return _ask(conversation, text, material_ids=material_ids, topic=topic)


def _ask(conversation: ChatConversation, text: str, *, material_ids, topic=None, kind: str = "answer") -> ChatMessage:
    now = timezone.now()
    ChatMessage.objects.create(conversation=conversation, role=MessageRole.USER, content=text.strip(), created_at=now)
    reply = ChatMessage.objects.create(
        conversation=conversation, role=MessageRole.ASSISTANT, content="", status=MessageStatus.PENDING,
        context={"kind": kind, "materials": [str(m) for m in material_ids] if material_ids is not None else None,
                 "topic": topic},
        created_at=now + datetime.timedelta(microseconds=1),  # after the question it answers, always
    )  # fmt: skip
    if material_ids is not None or topic is not None or kind == "answer":
        chosen = [str(m) for m in material_ids] if material_ids is not None else None
        conversation.metadata = {**conversation.metadata, "materials": chosen, "topic": topic}
    conversation.last_message_at = now
    conversation.is_archived = False  # asking again brings an archived conversation back
    conversation.save(update_fields=["metadata", "last_message_at", "is_archived"])
    _enqueue(reply)
    return reply


def _enqueue(reply: ChatMessage) -> None:
    from coach.tasks import reply_write

    transaction.on_commit(lambda: reply_write.delay(str(reply.pk)))


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def conversation_archive(*, conversation: ChatConversation, archived: bool) -> None:
    conversation.is_archived = archived
    conversation.save(update_fields=["is_archived"])


def reply_retry(*, user: User, reply: ChatMessage) -> bool:
    """Ask again for a reply that failed. False if it had not failed."""
    _rate_limit(user)
    updated = ChatMessage.objects.filter(pk=reply.pk, status=MessageStatus.FAILED).update(
        status=MessageStatus.PENDING, content="", created_at=timezone.now()
    )
    if updated:
        _enqueue(reply)
    return bool(updated)


def reply_expire(*, reply: ChatMessage) -> bool:
    """A reply pending longer than COACH_REPLY_TIMEOUT (its task lost, every worker down) ends
    failed, so the page offers a retry instead of thinking for ever. False if it was not due."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.COACH_REPLY_TIMEOUT)
    return bool(
        ChatMessage.objects.filter(pk=reply.pk, status=MessageStatus.PENDING, created_at__lt=cutoff).update(
            status=MessageStatus.FAILED,
            content="The coach took too long to answer (no worker picked the question up). Try again.",
        )
    )


# --- Explain this question ----------------------------------------------------------------------


def explain_start(*, user: User, question: Question) -> ChatConversation:
    """A teaching conversation about `question`: its vignette, options, the student's last
    answer and the key, answered from the pages the question came from."""
    question = questions_visible_to(user=user).get(pk=question.pk)
    last = UserQuestionAttempt.objects.filter(user=user, question=question).order_by("-answered_at").first()
    options = "\n".join(f"{LETTERS[i]}. {text}" for i, text in enumerate(question.options))
    key = f"{LETTERS[question.correct_index]}. {question.options[question.correct_index]}"
    if last is not None and last.selected_index is not None:
        chosen = f"{LETTERS[last.selected_index]}. {question.options[last.selected_index]}"
        answered = f"I answered {chosen}; the answer is {key}." if chosen != key else f"I answered {key}, correctly."
    else:
        answered = f"The answer is {key}."
    text = f"Explain this question.\n\n{question.vignette}\n\n{options}\n\n{answered}"
    own_material = question.material_id if question.material and question.material.user_id == user.pk else None
    return conversation_start(
        user=user, question=text, conversation_type=ConversationType.TEACHING,
        material_ids=[own_material] if own_material else None,
        metadata={"kind": "explain", "question": str(question.pk)},
    )  # fmt: skip


def vignette_request(*, user: User, conversation: ChatConversation) -> ChatMessage:
    """Ask for a fresh question on the point of the conversation's question."""
    if not conversation.metadata.get("question"):
        raise NotExplainable("This conversation is not about a question.")
    _rate_limit(user)
    with transaction.atomic():
        return _ask(conversation, "Write me a fresh question on this point.", material_ids=None, kind="vignette")


# --- The reply (run by coach.tasks.reply_write) ---------------------------------------------


def reply_write(*, reply_id) -> None:
    """Write the pending reply `reply_id`; nothing if it is not pending (written already, or
    retried). Retrieval runs as the student (row-level security), the answerer outside any
    transaction, and the reply in one UPDATE that checks it is still pending. A transient error
    propagates (the task retries); `reply_fail` ends it readably."""
    with rls_context(role=ROLE_SYSTEM):
        reply = ChatMessage.objects.select_related("conversation").filter(pk=reply_id).first()
    if reply is None or reply.status != MessageStatus.PENDING:
        return
    conversation = reply.conversation
    started = time.monotonic()
    with rls_context(user_id=conversation.user_id):
        user = User.objects.get(pk=conversation.user_id)
        earlier = list(conversation.messages.filter(created_at__lt=reply.created_at, status=MessageStatus.DONE)
                       .order_by("-created_at")[:8])  # fmt: skip
        asked, history = earlier[0].content, [Turn(m.role, m.content) for m in reversed(earlier[1:])]
        kind = reply.context.get("kind", "answer")
        if kind == "vignette":
            text, context, citations, tokens = _vignette(user, conversation)
        else:
            explained = (
                Question.objects.filter(pk=conversation.metadata.get("question")).first() if kind == "explain" else None
            )
            query = _retrieval_query(asked, history, explained)
            preface = _preface(explained)
            passages = passages_search(
                user=user, query=query, limit=settings.COACH_PASSAGES, material_ids=reply.context.get("materials"),
                topic=reply.context.get("topic"), min_similarity=settings.COACH_MIN_SIMILARITY,
            )  # fmt: skip
            sources = [_source(i, p.chunk) for i, p in enumerate(passages, start=1)]
            context = {
                **reply.context, "query": query,
                "chunks": [{"id": str(p.chunk.pk), "score": round(p.score, 5), "similarity": round(p.similarity, 4),
                            "exact": p.exact} for p in passages],
            }  # fmt: skip
    if kind != "vignette":
        answer = get_answerer().answer(question=asked if kind != "explain" else query, sources=sources,
                                       history=history)  # fmt: skip
        text = preface + answer.text
        citations = _citations(answer, sources)
        tokens = answer.prompt_tokens + answer.completion_tokens or len(asked.split()) + len(answer.text.split())
        context["found"] = answer.found
    with rls_context(user_id=conversation.user_id):
        ChatMessage.objects.filter(pk=reply.pk, status=MessageStatus.PENDING).update(
            content=text, citations=citations, context=context, token_count=tokens, status=MessageStatus.DONE,
            response_time_seconds=round(time.monotonic() - started, 3),
        )  # fmt: skip
        ChatConversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())


def reply_fail(*, reply_id, reason: str) -> None:
    with rls_context(role=ROLE_SYSTEM):
        ChatMessage.objects.filter(pk=reply_id, status=MessageStatus.PENDING).update(
            status=MessageStatus.FAILED, content=reason
        )


def _retrieval_query(asked: str, history: list[Turn], explained: Question | None) -> str:
    """What to search the notes for: the question; a short follow-up with the question before
    it; for "explain", the explained question's lead-in and its answer."""
    if explained is not None:
        vignette = explained.vignette
        lead_in = vignette.rsplit(".", 2)[-1] if "." in vignette else vignette
        return f"{explained.options[explained.correct_index]}: {lead_in.strip()}"
    previous = [t.content for t in history if t.role == MessageRole.USER]
    if previous and is_follow_up(asked):
        return f"{previous[-1]} {asked}"
    return asked


def _preface(explained: Question | None) -> str:
    if explained is None:
        return ""
    key = explained.options[explained.correct_index]
    return f"The best answer is {LETTERS[explained.correct_index]}, {key}. What your notes say about it: "


def _source(number: int, chunk: MaterialChunk) -> Source:
    return Source(
        number=number, chunk_id=str(chunk.pk), material_id=str(chunk.material_id), material_title=chunk.material.title,
        page=chunk.page_number, heading=chunk.metadata.get("heading", ""), text=chunk.content,
    )  # fmt: skip


def _citations(answer: Reply, sources: list[Source]) -> list[dict]:
    by_number = {s.number: s for s in sources}
    return [
        {"n": n, "chunk_id": by_number[n].chunk_id, "material_id": by_number[n].material_id,
         "material_title": by_number[n].material_title, "page": by_number[n].page, "heading": by_number[n].heading,
         "quote": answer.quotes.get(n, by_number[n].text)}
        for n in answer.cited
    ]  # fmt: skip


def _vignette(user: User, conversation: ChatConversation) -> tuple[str, dict, list, int]:
    """A fresh question on the point of the conversation's question, written by the question
    generator from the chunk the question came from, into the student's bank."""
    question = questions_visible_to(user=user).filter(pk=conversation.metadata.get("question")).first()
    chunk_id = (question.metadata or {}).get("source_chunk_id") if question else None
    chunk = (
        MaterialChunk.objects.select_related("material")
        .filter(Q(pk=chunk_id) if chunk_id else Q(pk=None), material__user=user)
        .first()
    )
    if question is None or chunk is None:
        text = "I can only write a fresh question from your own notes, and this question did not come from them."
        return text, {"kind": "vignette"}, [], 0
    neighbours = chunk.material.chunks.filter(chunk_index__range=(chunk.chunk_index - 1, chunk.chunk_index + 1))
    sources = [
        SourceChunk(id=str(c.pk), text=c.content, page_number=c.page_number or 1, heading=c.metadata.get("heading", ""))
        for c in neighbours.order_by("chunk_index")
    ]
    existing = list(questions_visible_to(user=user).filter(material__user=user).values_list("vignette", flat=True))
    result = get_generator().generate(
        chunks=sources, topic=question.topic, max_questions=1, existing_vignettes=existing
    )
    if not result.questions:
        text = ("Your notes on this point gave me no new question that passes StudyIn's checks (a different "
                "vignette with one best answer). Upload more on it, or ask me to explain it instead.")  # fmt: skip
        return text, {"kind": "vignette", "dropped": result.reasons}, [], 0
    created = question_create_from_draft(draft=result.questions[0], material=chunk.material)
    text = f"I wrote a new question on {created.topic} from your notes and added it to your bank: “{created.vignette}”"
    return text, {"kind": "vignette", "question": str(created.pk), "topic": created.topic}, [], 0


def failure_reason(exc: BaseException) -> str:
    """What the student reads when a reply could not be written (the details go to the log)."""
    if isinstance(exc, TransientServiceError):
        return "The coach's AI service did not answer in time. Nothing is lost: try again in a moment."
    if isinstance(exc, ServiceError):
        return "The coach is not available right now (its AI service refused the request). Try again later."
    return "Something went wrong while writing this answer. Nothing is lost: try again in a moment."
