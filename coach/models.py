from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from studyin.models import UUIDModel, choices_check, created_at_field, owner_field


class ConversationType(models.TextChoices):
    TEACHING = "teaching"
    REVIEW = "review"
    EXPLORATION = "exploration"
    CLARIFICATION = "clarification"


class ChatConversation(UUIDModel):
    user = owner_field("conversations")
    title = models.CharField(max_length=500, null=True, blank=True)
    conversation_type = models.CharField(max_length=20, choices=ConversationType.choices)
    metadata = models.JSONField(default=dict, blank=True)
    is_archived = models.BooleanField(default=False, db_default=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "chat_conversations"
        constraints = [choices_check("chat_conversations", "conversation_type", ConversationType)]
        indexes = [
            models.Index(fields=["user"], name="idx_conversations_user_id"),
            models.Index(fields=["conversation_type"], name="idx_conversations_type"),
            models.Index(F("last_message_at").desc(nulls_last=True), name="idx_conversations_last_message"),
            models.Index(fields=["is_archived"], name="idx_conversations_archived", condition=Q(is_archived=False)),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class MessageRole(models.TextChoices):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class MessageStatus(models.TextChoices):
    """An assistant's reply is written by a task: pending until it is, failed with a readable
    reason in `content` if it could not be."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class ChatMessage(UUIDModel):
    conversation = models.ForeignKey(
        ChatConversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    role = models.CharField(max_length=10, choices=MessageRole.choices)
    content = models.TextField()
    context = models.JSONField(default=dict, blank=True)  # retrieved chunks
    citations = models.JSONField(default=list, blank=True)
    token_count = models.IntegerField(null=True, blank=True)
    response_time_seconds = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.DONE, db_default=MessageStatus.DONE
    )
    created_at = created_at_field()

    class Meta:
        db_table = "chat_messages"
        constraints = [
            choices_check("chat_messages", "role", MessageRole),
            choices_check("chat_messages", "status", MessageStatus),
        ]
        # idx_messages_content_search (full text) is in migration 0002.
        indexes = [
            models.Index(fields=["conversation"], name="idx_messages_conversation_id"),
            models.Index(fields=["created_at"], name="idx_messages_created_at"),
            models.Index(fields=["role"], name="idx_messages_role"),
        ]


class LearningPathStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class LearningPath(UUIDModel):
    user = owner_field("learning_paths")
    name = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    topic_tree = models.JSONField()  # DAG of topics and prerequisites
    total_milestones = models.IntegerField(default=0, db_default=0)
    completed_milestones = models.IntegerField(default=0, db_default=0)
    status = models.CharField(
        max_length=10,
        choices=LearningPathStatus.choices,
        default=LearningPathStatus.ACTIVE,
        db_default=LearningPathStatus.ACTIVE,
    )
    created_at = created_at_field()
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "learning_paths"
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_milestones__lte=F("total_milestones")), name="valid_milestone_count"
            ),
            choices_check("learning_paths", "status", LearningPathStatus),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_learning_paths_user_id"),
            models.Index(
                fields=["status"], name="idx_learning_paths_status", condition=Q(status=LearningPathStatus.ACTIVE)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LearningPathMilestone(UUIDModel):
    learning_path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="milestones", db_index=False)
    topic = models.CharField(max_length=255)
    milestone_order = models.IntegerField()
    prerequisites = models.JSONField(default=list, blank=True)  # prerequisite milestone ids
    is_completed = models.BooleanField(default=False, db_default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at_field()

    class Meta:
        db_table = "learning_path_milestones"
        ordering = ["milestone_order"]
        constraints = [
            # idx_milestones_path_id is left out (unique_path_milestone starts with learning_path_id),
            # and so is idx_milestones_completed (a plain boolean index the planner never uses).
            models.UniqueConstraint(fields=["learning_path", "topic"], name="unique_path_milestone"),
            models.CheckConstraint(condition=Q(milestone_order__gt=0), name="positive_milestone_order"),
        ]
        indexes = [models.Index(fields=["learning_path", "milestone_order"], name="idx_milestones_order")]
