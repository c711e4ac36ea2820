from django import forms
from django.contrib import admin

from gamification.achievements import UnknownCondition, conditions_check
from gamification.models import Achievement, UserAchievement, UserStreak, XPTransaction
from studyin.admin import ReadOnlyAdminMixin


class AchievementForm(forms.ModelForm):
    class Meta:
        model = Achievement
        fields = (
            "code",
            "name",
            "description",
            "icon",
            "category",
            "xp_reward",
            "unlock_conditions",
            "rarity",
            "is_active",
        )
        help_texts = {
            "unlock_conditions": 'All must hold, e.g. {"streak_days": 14} or {"topic": "Renal", '
            '"mastery_percentage": 80}. The conditions the engine knows are listed in gamification/achievements.py.'
        }

    def clean_unlock_conditions(self):
        conditions = self.cleaned_data["unlock_conditions"]
        try:
            conditions_check(conditions)
        except UnknownCondition as exc:
            raise forms.ValidationError(str(exc)) from exc
        return conditions


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    form = AchievementForm
    list_display = ("code", "name", "icon", "category", "rarity", "xp_reward", "is_active")
    list_filter = ("category", "rarity", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("id", "created_at")
    ordering = ("category", "code")


@admin.register(UserAchievement)
class UserAchievementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Derived from the student's answers by the engine, which awards the XP: not edited by hand."""

    list_display = ("user", "achievement", "progress", "is_completed", "unlocked_at")
    list_filter = ("is_completed", "achievement")
    list_select_related = ("user", "achievement")
    search_fields = ("user__email", "achievement__code")
    raw_id_fields = ("user",)
    autocomplete_fields = ("achievement",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(XPTransaction)
class XPTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger users.xp is summed from: corrections are new entries made by a service."""

    list_display = ("user", "amount", "source", "description", "created_at")
    list_filter = ("source",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False


@admin.register(UserStreak)
class UserStreakAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Study days, written by the answer path."""

    list_display = ("user", "streak_date", "questions_answered", "study_minutes", "goal_met", "is_frozen")
    list_filter = ("is_frozen",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "streak_date"
    ordering = ("-streak_date",)
