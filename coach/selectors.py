"""Reads for the coach, under the request's row-level security context (the explicit user
filters say the same)."""

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from accounts.models import User
from coach.models import ChatConversation, ChatMessage, LearningPath

# The expression of idx_messages_content_search, so the planner can use the index.
MESSAGE_DOCUMENT = "to_tsvector('english', content)"


def conversations_for(*, user: User, query: str = "", archived: bool = False) -> QuerySet[ChatConversation]:
    """The student's conversations, latest first; `query` searches their titles and, by full
    text (stemmed: "murmurs" finds "murmur"), every message in them."""
    conversations = ChatConversation.objects.filter(user=user, is_archived=archived)
    if query:
        matching = RawSQL(
            f"SELECT conversation_id FROM chat_messages WHERE {MESSAGE_DOCUMENT} @@ websearch_to_tsquery('english', %s)",
            [query],
        )
        conversations = conversations.filter(Q(pk__in=matching) | Q(title__icontains=query))
    return conversations.order_by("-last_message_at", "-created_at")


def conversation_get(*, user: User, conversation_id) -> ChatConversation:
    return get_object_or_404(ChatConversation, pk=conversation_id, user=user)


def reply_get(*, user: User, message_id) -> ChatMessage:
    return get_object_or_404(ChatMessage.objects.select_related("conversation"), pk=message_id,
                             conversation__user=user, role="assistant")  # fmt: skip


def paths_for(*, user: User) -> QuerySet[LearningPath]:
    return LearningPath.objects.filter(user=user).order_by("status", "-created_at")


def path_get(*, user: User, path_id) -> LearningPath:
    return get_object_or_404(LearningPath, pk=path_id, user=user)
