from django.contrib import admin
from django.template.defaultfilters import truncatechars

from coach.models import ChatConversation, ChatMessage, LearningPath, LearningPathMilestone
from studyin.admin import ReadOnlyAdminMixin


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    fields = ("created_at", "role", "content", "token_count", "response_time_seconds")
    readonly_fields = fields
    ordering = ("created_at",)


class MilestoneInline(admin.TabularInline):
    model = LearningPathMilestone
    fields = ("milestone_order", "topic", "is_completed", "completed_at")
    ordering = ("milestone_order",)
    extra = 0


@admin.register(ChatConversation)
class ChatConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "conversation_type", "is_archived", "last_message_at", "created_at")
    list_filter = ("conversation_type", "is_archived")
    list_select_related = ("user",)
    search_fields = ("title", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("id", "last_message_at", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (MessageInline,)


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "role", "excerpt", "token_count", "response_time_seconds", "created_at")
    list_filter = ("role",)
    list_select_related = ("conversation",)
    search_fields = ("conversation__user__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    @admin.display(description="content")
    def excerpt(self, message: ChatMessage) -> str:
        return truncatechars(message.content, 90)


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "status", "completed_milestones", "total_milestones", "created_at")
    list_filter = ("status",)
    list_select_related = ("user",)
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("id", "total_milestones", "completed_milestones", "created_at", "updated_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (MilestoneInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        milestones = form.instance.milestones.all()
        LearningPath.objects.filter(pk=form.instance.pk).update(
            total_milestones=milestones.count(), completed_milestones=milestones.filter(is_completed=True).count()
        )


@admin.register(LearningPathMilestone)
class LearningPathMilestoneAdmin(admin.ModelAdmin):
    list_display = ("topic", "learning_path", "milestone_order", "is_completed", "completed_at")
    list_filter = ("is_completed",)
    list_select_related = ("learning_path",)
    search_fields = ("topic", "learning_path__name")
    raw_id_fields = ("learning_path",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"
    ordering = ("learning_path", "milestone_order")
