from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.defaultfilters import truncatechars

from questions.models import Question, QuestionExplanation, QuestionOption, UserQuestionAttempt
from studyin.admin import ReadOnlyAdminMixin


class QuestionOptionInline(admin.TabularInline):
    """The option rows are where a moderator edits options; `Question.options` (JSON) is
    rewritten from them on save. Adding or removing options would move `correct_index` out
    from under the attempts already made, so only the wording and rationale change here."""

    model = QuestionOption
    fields = ("option_index", "option_text", "rationale")
    readonly_fields = ("option_index",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class QuestionExplanationInline(admin.StackedInline):
    model = QuestionExplanation
    fields = ("correct_explanation", "incorrect_explanations", "pathophysiology", "clinical_relevance", "references")
    extra = 0
    max_num = 1


class QuestionForm(forms.ModelForm):
    def clean_correct_index(self) -> int:
        # valid_correct_index also reads `options`, which is not on the form, so Django would
        # skip the constraint and the database would turn a typo into a 500.
        value = self.cleaned_data["correct_index"]
        if not 0 <= value < len(self.instance.options or []):
            raise forms.ValidationError("Must be the index of one of the options.")
        return value


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Questions come from the generator; staff review, correct, verify and flag them."""

    form = QuestionForm
    list_display = (
        "stem",
        "topic",
        "subtopic",
        "difficulty",
        "quality_score",
        "is_verified",
        "is_flagged",
        "times_answered",
        "accuracy",
        "created_at",
    )
    list_filter = ("is_verified", "is_flagged", "difficulty", "topic")
    search_fields = ("vignette", "topic", "subtopic")
    raw_id_fields = ("material",)
    readonly_fields = ("id", "options", "times_answered", "times_correct", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (QuestionOptionInline, QuestionExplanationInline)
    actions = ("mark_verified", "flag", "unflag")

    def has_add_permission(self, request):
        return False

    @admin.display(description="vignette")
    def stem(self, question: Question) -> str:
        return truncatechars(question.vignette, 90)

    @admin.display(description="accuracy")
    def accuracy(self, question: Question) -> str:
        if not question.times_answered:
            return "-"
        return f"{question.times_correct / question.times_answered:.0%}"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The admin request is one transaction, so the JSON and the rows change together.
        texts = list(form.instance.option_rows.order_by("option_index").values_list("option_text", flat=True))
        if texts and texts != form.instance.options:
            Question.objects.filter(pk=form.instance.pk).update(options=texts)

    def _update(self, request, queryset: QuerySet, verb: str, **values) -> None:
        count = queryset.update(**values)
        self.message_user(request, f"{count} question(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Mark selected questions as verified")
    def mark_verified(self, request, queryset):
        self._update(request, queryset, "marked verified", is_verified=True)

    @admin.action(description="Flag selected questions")
    def flag(self, request, queryset):
        self._update(request, queryset, "flagged", is_flagged=True)

    @admin.action(description="Unflag selected questions")
    def unflag(self, request, queryset):
        self._update(request, queryset, "unflagged", is_flagged=False)


@admin.register(QuestionOption)
class QuestionOptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: options are edited on their question, which keeps `Question.options` in step."""

    list_display = ("question", "option_index", "option_text")
    list_select_related = ("question",)
    search_fields = ("option_text",)
    date_hierarchy = "created_at"
    ordering = ("question", "option_index")


@admin.register(QuestionExplanation)
class QuestionExplanationAdmin(admin.ModelAdmin):
    list_display = ("question", "created_at")
    list_select_related = ("question",)
    search_fields = ("question__vignette", "correct_explanation")
    raw_id_fields = ("question",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(UserQuestionAttempt)
class UserQuestionAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "question",
        "selected_index",
        "is_correct",
        "attempt_type",
        "time_taken_seconds",
        "answered_at",
    )
    list_filter = ("is_correct", "attempt_type")
    list_select_related = ("user", "question")
    search_fields = ("user__email",)
    date_hierarchy = "answered_at"
    ordering = ("-answered_at",)
    show_full_result_count = False
