"""The analytics tables through their read-only `*Row` twins: the admin cannot show the
composite-key models (see analytics/models.py)."""

from django.contrib import admin

from analytics.models import PerformanceMetricRow, RetentionAnalyticRow, StudySessionRow
from studyin.admin import ReadOnlyAdminMixin


class AnalyticsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_select_related = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False


@admin.register(StudySessionRow)
class StudySessionRowAdmin(AnalyticsAdmin):
    list_display = ("user", "session_type", "duration_seconds", "questions_answered", "xp_earned", "started_at")
    list_filter = ("session_type",)


@admin.register(PerformanceMetricRow)
class PerformanceMetricRowAdmin(AnalyticsAdmin):
    list_display = ("user", "metric_date", "topic", "questions_attempted", "accuracy_rate", "avg_time_per_question")
    list_filter = ("metric_date",)


@admin.register(RetentionAnalyticRow)
class RetentionAnalyticRowAdmin(AnalyticsAdmin):
    list_display = ("user", "retention_date", "cards_reviewed", "cards_correct", "retention_rate")
    list_filter = ("retention_date",)
