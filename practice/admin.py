from django.contrib import admin

from practice.models import PracticeSession, PracticeSessionQuestion


@admin.register(PracticeSession)
class PracticeSessionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "session_type",
        "status",
        "total_questions",
        "correct_count",
        "xp_earned",
        "started_at",
        "completed_at",
    )
    list_filter = ("session_type", "status")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    # The counters are the sums of the session's questions, kept by the practice services.
    readonly_fields = (
        "id",
        "total_questions",
        "correct_count",
        "total_time_seconds",
        "xp_earned",
        "started_at",
        "completed_at",
        "created_at",
    )
    date_hierarchy = "started_at"
    ordering = ("-started_at",)


@admin.register(PracticeSessionQuestion)
class PracticeSessionQuestionAdmin(admin.ModelAdmin):
    list_display = ("session", "question_order", "question", "is_correct", "time_taken_seconds", "answered_at")
    list_filter = ("is_correct",)
    list_select_related = ("session", "question")
    search_fields = ("session__user__email",)
    raw_id_fields = ("session", "question")
    readonly_fields = ("id", "answered_at")
    date_hierarchy = "answered_at"
    ordering = ("session", "question_order")
