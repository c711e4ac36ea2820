from django.contrib import admin

from progress.models import MasteryLevel, SM2ReviewCard, UserProgress


@admin.register(UserProgress)
class UserProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "question", "total_attempts", "correct_attempts", "accuracy_rate", "last_attempt_at")
    list_select_related = ("user", "question")
    search_fields = ("user__email",)
    raw_id_fields = ("user", "question")
    readonly_fields = ("id", "accuracy_rate", "created_at", "updated_at")
    date_hierarchy = "last_attempt_at"
    ordering = ("-last_attempt_at",)


@admin.register(MasteryLevel)
class MasteryLevelAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "topic",
        "questions_answered",
        "questions_correct",
        "mastery_percentage",
        "proficiency_level",
        "last_updated",
    )
    list_filter = ("proficiency_level", "topic")
    list_select_related = ("user",)
    search_fields = ("user__email", "topic")
    raw_id_fields = ("user",)
    readonly_fields = ("id", "mastery_percentage", "last_updated")
    date_hierarchy = "last_updated"
    ordering = ("user", "topic")


@admin.register(SM2ReviewCard)
class SM2ReviewCardAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "question",
        "repetition_count",
        "easiness_factor",
        "interval_days",
        "next_review_date",
        "last_reviewed_at",
    )
    list_select_related = ("user", "question")
    search_fields = ("user__email",)
    raw_id_fields = ("user", "question")
    readonly_fields = ("id", "last_reviewed_at", "created_at", "updated_at")
    date_hierarchy = "next_review_date"
    ordering = ("next_review_date",)
