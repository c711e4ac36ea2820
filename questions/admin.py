import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import BooleanField, Count, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from materials.models import MaterialChunk
from questions import services
from questions.models import (
    Difficulty,
    FlagReason,
    FlagStatus,
    Question,
    QuestionExplanation,
    QuestionFlag,
    QuestionModerationEvent,
    QuestionOption,
    UserQuestionAttempt,
    option_letter,
)
from questions.selectors import peer_stats
from studyin.admin import ReadOnlyAdminMixin

# The moderation queues. Low quality: a quality score under 0.5, from the item checks at
# generation or from how students answer (questions/quality.py); the reasons are on the page.
QUEUES = {
    "flagged": ("Flagged", Q(is_flagged=True)),
    "unverified": ("Unverified", Q(is_verified=False)),
    "low_quality": ("Low quality", Q(quality_score__lt=0.5)),
}

# The expression of idx_questions_vignette_search (questions migration 0002), unqualified so that
# it also works inside a subquery, where Django renames the table. Change both or neither.
VIGNETTE_MATCHES = "to_tsvector('english', vignette) @@ websearch_to_tsquery('english', %s)"

# Fields of the change form that are moderation decisions: saved through the services, which
# log them (and unflagging resolves the students' flags), rather than as a plain edit.
MODERATED_FIELDS = ("is_verified", "is_flagged", "topic", "difficulty")
MODERATION_PANELS = ("peer_statistics", "open_flags", "moderation_history")
HISTORY_SHOWN = 50


def queue_counts(request) -> dict[str, int]:
    """One COUNT ... FILTER query per request, shared by the queue filter and the queue links."""
    if not hasattr(request, "_question_queue_counts"):
        request._question_queue_counts = Question.objects.aggregate(
            **{key: Count("pk", filter=condition) for key, (_, condition) in QUEUES.items()}
        )
    return request._question_queue_counts


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        counts = queue_counts(request)
        return [(key, f"{label} ({counts[key]})") for key, (label, _) in QUEUES.items()]

    def queryset(self, request, queryset):
        if self.value() in QUEUES:
            return queryset.filter(QUEUES[self.value()][1])
        return queryset


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "studyin-text"})


class QuestionOptionInline(admin.TabularInline):
    """The option rows are where a moderator edits options and why each is right or wrong;
    `Question.options` (JSON) and the explanation's per-option texts are rewritten from them on
    save. Adding or removing options would move `correct_index` out from under the attempts
    already made, so only the wording and rationale change here."""

    model = QuestionOption
    fields = ("letter", "option_text", "rationale")
    readonly_fields = ("letter",)
    formfield_overrides = {TextField: {"widget": _textarea(3)}}
    extra = 0
    can_delete = False
    verbose_name, verbose_name_plural = "option", "options (the rationale is what students read about each option)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def letter(self, option: QuestionOption) -> str:
        return option_letter(option.option_index)


class QuestionExplanationInline(admin.StackedInline):
    """The explanation students read after answering. Why each option is right or wrong is
    edited in the option rows; the passages it cites are the generator's, shown as text."""

    model = QuestionExplanation
    fields = ("correct_explanation", "pathophysiology", "clinical_relevance", "cited_passages")
    readonly_fields = ("cited_passages",)
    formfield_overrides = {TextField: {"widget": _textarea(4)}}
    extra = 0
    max_num = 1
    can_delete = False

    @admin.display(description="cited passages")
    def cited_passages(self, explanation: QuestionExplanation) -> str:
        references = explanation.references if isinstance(explanation.references, list) else []
        if not references:
            return "None."
        return format_html(
            "<ol class='studyin-refs'>{}</ol>",
            format_html_join("", "<li><strong>{}</strong><blockquote>{}</blockquote></li>", map(_cited, references)),
        )


def _cited(reference) -> tuple[str, str]:
    """(where, quote) of a reference: the generator's {page, heading, quote}, or a book's title."""
    if not isinstance(reference, dict):
        return str(reference), ""
    page, heading = reference.get("page"), reference.get("heading")
    where = " · ".join(part for part in (f"page {page}" if page else "", heading or "") if part)
    return where or "the material", reference.get("quote") or ""


class QuestionForm(forms.ModelForm):
    """The correct answer is chosen by its letter and text, as students see options."""

    correct_index = forms.TypedChoiceField(label="Correct answer", coerce=int, choices=())

    class Meta:
        model = Question
        fields = ("vignette", "correct_index", "is_verified", "is_flagged", "topic", "subtopic", "organ_system",
                  "difficulty", "material")  # fmt: skip
        widgets = {"vignette": _textarea(6)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The choices are the question's own options, so the database's valid_correct_index
        # (which reads `options`, not on the form) can never be what refuses a typo.
        self.fields["correct_index"].choices = [
            (i, f"{option_letter(i)}. {text}") for i, text in enumerate(self.instance.options or [])
        ]


class QuestionActionForm(ActionForm):
    """The values the "change topic", "change difficulty" and "flag" actions apply."""

    topic = forms.CharField(label="New topic:", required=False, max_length=255)
    difficulty = forms.ChoiceField(
        label="New difficulty:", required=False, choices=[("", "---------"), *Difficulty.choices]
    )
    reason = forms.ChoiceField(label="Flag reason:", required=False, choices=[("", "---------"), *FlagReason.choices])


def _table(headers: tuple[str, ...], rows) -> str:
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((h,) for h in headers)),
        format_html_join("", "<tr>" + "<td>{}</td>" * len(headers) + "</tr>", rows),
    )


def _when(moment) -> str:
    return localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Questions come from the generator; staff review, correct, verify and flag them. Every
    moderation change goes through questions.services, which logs it on the question."""

    form = QuestionForm
    action_form = QuestionActionForm
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
    list_filter = (QueueFilter, "is_verified", "is_flagged", "difficulty", "topic", "organ_system")
    # Only shows the search box: get_search_results() does the searching.
    search_fields = ("vignette", "topic", "subtopic")
    search_help_text = (
        "Words of the vignette (matched as stems: “infarcts” finds “infarction”), or part of a topic, an option or "
        "the explanation."
    )
    raw_id_fields = ("material",)
    # `options` and `explanation` are kept from the option rows and the explanation below;
    # `metadata` is the generator's bookkeeping.
    exclude = ("options", "explanation", "metadata", "answer_counts")
    readonly_fields = (
        "id", "source_passage", "quality", "times_answered", "times_correct", "created_at", *MODERATION_PANELS,
    )  # fmt: skip
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (QuestionOptionInline, QuestionExplanationInline)
    actions = ("verify", "unverify", "flag", "unflag", "change_topic", "change_difficulty")

    def has_add_permission(self, request):
        return False

    # --- Changelist: queues and search ---------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        counts = queue_counts(request)
        queues = [
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "active": request.GET.get(QueueFilter.parameter_name) == key,
            }
            for key, (label, _) in QUEUES.items()
        ]
        return super().changelist_view(request, {"queues": queues, **(extra_context or {})})

    def get_search_results(self, request, queryset, search_term):
        """Full-text search of the vignette (stemmed, websearch syntax), or part of a topic, an
        option or the explanation (a drug offered as an option: "amiodarone").

        The full-text match is a subquery of ids in the expression of idx_questions_vignette_search,
        so that PostgreSQL can answer it from the GIN index and check only the cheap ILIKE row by
        row. Under FORCE ROW LEVEL SECURITY the planner can use an index for `@@` only because
        the superuser's setup marks ts_match_vq LEAKPROOF (README, "Production"); a database set up
        without it answers the same by a sequential scan.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        matching = Question.objects.filter(RawSQL(VIGNETTE_MATCHES, [term], output_field=BooleanField()))
        in_options = QuestionOption.objects.filter(option_text__icontains=term).values("question_id")
        in_explanation = QuestionExplanation.objects.filter(correct_explanation__icontains=term).values("question_id")
        condition = (
            Q(pk__in=matching.values("pk"))
            | Q(topic__icontains=term)
            | Q(subtopic__icontains=term)
            | Q(pk__in=in_options)
            | Q(pk__in=in_explanation)
        )
        return queryset.filter(condition), False

    @admin.display(description="vignette")
    def stem(self, question: Question) -> str:
        return truncatechars(question.vignette, 90)

    @admin.display(description="accuracy")
    def accuracy(self, question: Question) -> str:
        if not question.times_answered:
            return "-"
        return f"{question.times_correct / question.times_answered:.0%}"

    # --- Change page: peer statistics, open flags, history ---------------------------------------

    class Media:
        css = {"all": ("css/admin.css",)}

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ("vignette", "correct_index", "source_passage")}),
            (
                "Moderation",
                {"fields": ("is_verified", "is_flagged", "topic", "subtopic", "organ_system", "difficulty", "quality")},
            ),
            ("Peers, flags and history", {"fields": ("times_answered", "times_correct", *MODERATION_PANELS)}),
            ("Record", {"fields": ("id", "material", "created_at"), "classes": ("collapse",)}),
        ]

    @admin.display(description="quality")
    def quality(self, question: Question) -> str:
        """The score, what lowered it (item checks, students' answers) and the item statistics."""
        stats = "no item statistics yet"
        if question.discrimination is not None and question.times_answered:
            stats = (
                f"facility {question.times_correct / question.times_answered:.0%}, "
                f"discrimination {question.discrimination:+.2f}"
            )
        reasons = question.quality_reasons or ["No problem found."]
        return format_html(
            "<p><strong>{}</strong> ({}; before the statistics {})</p><ul class='studyin-reasons'>{}</ul>",
            f"{question.quality_score:.2f}",
            stats,
            "-" if question.generation_score is None else f"{question.generation_score:.2f}",
            format_html_join("", "<li>{}</li>", ((r,) for r in reasons)),
        )

    @admin.display(description="source passage")
    def source_passage(self, question: Question) -> str:
        """What the question was written from, to check the key against."""
        chunk_id = (question.metadata or {}).get("source_chunk_id")
        chunk = MaterialChunk.objects.filter(pk=chunk_id).select_related("material").first() if chunk_id else None
        if chunk is None:
            return "None: written by staff, or its material was deleted."
        where = f"{chunk.material.title}, page {chunk.page_number}" if chunk.page_number else chunk.material.title
        return format_html("<p><strong>{}</strong></p><blockquote class='studyin-quote'>{}</blockquote>", where,
                           chunk.content)  # fmt: skip

    @admin.display(description="peer statistics")
    def peer_statistics(self, question: Question) -> str:
        if not question.pk:
            return "-"
        stats = peer_stats(question=question)
        summary = format_html(
            "<p>{} answered · {} correct · band: {}</p>",
            stats.answered,
            "-" if stats.percent_correct is None else f"{stats.percent_correct}%",
            stats.band or "not yet",
        )
        rows = (
            (option_letter(i), text, f"{percent}%", "correct" if i == question.correct_index else "")
            for i, (text, percent) in enumerate(zip(question.options, stats.distribution, strict=False))
        )
        return summary + _table(("option", "text", "chosen by", ""), rows)

    @admin.display(description="open flags")
    def open_flags(self, question: Question) -> str:
        flags = question.flags.filter(status=FlagStatus.OPEN).select_related("user").order_by("created_at")
        rows = [(flag.get_reason_display(), flag.comment, flag.user.email, _when(flag.created_at)) for flag in flags]
        if not rows:
            return "No open flags."
        return _table(("reason", "comment", "by", "when"), rows)

    @admin.display(description="moderation history")
    def moderation_history(self, question: Question) -> str:
        events = question.moderation_events.select_related("staff").order_by("-created_at")[:HISTORY_SHOWN]
        rows = [
            (
                _when(event.created_at),
                event.staff.email if event.staff else "system",
                event.get_action_display(),
                truncatechars(json.dumps(event.details, ensure_ascii=False), 300),
            )
            for event in events
        ]
        if not rows:
            return "No moderation yet."
        return _table(("when", "who", "action", "details"), rows)

    # --- Saving: moderation decisions through the services, everything else as one edit event --

    def save_model(self, request, obj, form, change):
        decisions = {name: getattr(obj, name) for name in MODERATED_FIELDS if change and name in form.changed_data}
        for name in decisions:
            setattr(obj, name, form.initial[name])  # saved, and logged, by the service below
        if change:
            # Only what the form changed: a full save would write back the counters as loaded
            # and lose answers recorded meanwhile (times_answered, answer_counts, is_flagged).
            columns = {field.name for field in obj._meta.concrete_fields}
            changed = [name for name in form.changed_data if name in columns and name not in MODERATED_FIELDS]
            if changed:
                obj.save(update_fields=changed)
        else:
            super().save_model(request, obj, form, change)
        this = Question.objects.filter(pk=obj.pk)
        for name, value in decisions.items():
            self._decide(request, this, name, value)
            setattr(obj, name, value)

    def _decide(self, request, questions: QuerySet[Question], name: str, value) -> None:
        staff = request.user
        if name == "is_verified":
            (services.questions_verify if value else services.questions_unverify)(staff=staff, questions=questions)
        elif name == "is_flagged":
            (services.questions_flag if value else services.questions_unflag)(staff=staff, questions=questions)
        elif name == "topic":
            services.questions_set_topic(staff=staff, questions=questions, topic=value)
        elif name == "difficulty":
            services.questions_set_difficulty(staff=staff, questions=questions, difficulty=value)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question = form.instance
        # The admin request is one transaction, so the copies change together with the rows:
        # the options' text (questions.options), why each wrong option is wrong (the
        # explanation's incorrect_explanations) and the explanation (questions.explanation).
        rows = list(question.option_rows.order_by("option_index"))
        texts = [row.option_text for row in rows]
        if texts and texts != question.options:
            Question.objects.filter(pk=question.pk).update(options=texts)
            question.options = texts
        explanation = question.explanations.first()
        if explanation is not None:
            why_wrong = {
                str(r.option_index): r.rationale
                for r in rows
                if r.option_index != question.correct_index and r.rationale
            }
            if why_wrong != explanation.incorrect_explanations:
                QuestionExplanation.objects.filter(pk=explanation.pk).update(incorrect_explanations=why_wrong)
            if explanation.correct_explanation != question.explanation:
                Question.objects.filter(pk=question.pk).update(explanation=explanation.correct_explanation)
        if change:
            services.question_edited(staff=request.user, question=question, changed_fields=self._edits(form, formsets))

    @staticmethod
    def _edits(form, formsets) -> dict[str, tuple]:
        """{field: (before, after)} for the question's own fields and its inline rows."""
        edits = {
            name: (form.initial.get(name), form.cleaned_data.get(name))
            for name in form.changed_data
            if name not in MODERATED_FIELDS
        }
        for formset in formsets:
            for row in formset.forms:
                if formset.model is QuestionOption:
                    prefix = f"options[{row.instance.option_index}]"
                else:
                    prefix = formset.model._meta.model_name.removeprefix("question")
                for name in row.changed_data:
                    edits[f"{prefix}.{name}"] = (row.initial.get(name), row.cleaned_data.get(name))
        return edits

    # --- Bulk actions ---------------------------------------------------------------------------

    def _apply(self, request, queryset: QuerySet, service, verb: str, **values) -> None:
        selected = queryset.count()  # before: the change may take them out of a filtered list
        count = service(staff=request.user, questions=queryset, **values)
        note = f" ({selected - count} already were)" if selected > count else ""
        self.message_user(request, f"{count} question(s) {verb}{note}.", messages.SUCCESS)

    def _action_value(self, request, name: str) -> str:
        """A value of the action form (the changelist has validated it before the action runs)."""
        try:
            return self.action_form.base_fields[name].clean(request.POST.get(name, ""))
        except forms.ValidationError:
            return ""

    @admin.action(description="Verify selected questions")
    def verify(self, request, queryset):
        self._apply(request, queryset, services.questions_verify, "verified")

    @admin.action(description="Unverify selected questions")
    def unverify(self, request, queryset):
        self._apply(request, queryset, services.questions_unverify, "unverified")

    @admin.action(description="Flag selected questions (optional: Flag reason)")
    def flag(self, request, queryset):
        reason = self._action_value(request, "reason")
        self._apply(request, queryset, services.questions_flag, "flagged", reason=reason)

    @admin.action(description="Unflag selected questions and resolve their flags")
    def unflag(self, request, queryset):
        self._apply(request, queryset, services.questions_unflag, "unflagged")

    @admin.action(description="Change topic of selected questions (to: New topic)")
    def change_topic(self, request, queryset):
        topic = self._action_value(request, "topic").strip()
        if not topic:
            self.message_user(
                request, "Type the new topic in “New topic”, then choose the action again.", messages.ERROR
            )
            return
        self._apply(request, queryset, services.questions_set_topic, f"moved to topic “{topic}”", topic=topic)

    @admin.action(description="Change difficulty of selected questions (to: New difficulty)")
    def change_difficulty(self, request, queryset):
        difficulty = self._action_value(request, "difficulty")
        if not difficulty:
            self.message_user(
                request, "Choose the new difficulty in “New difficulty”, then the action again.", messages.ERROR
            )
            return
        label = Difficulty(difficulty).label
        self._apply(request, queryset, services.questions_set_difficulty, f"set to {label}", difficulty=difficulty)


@admin.register(QuestionFlag)
class QuestionFlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Students' reports. Read-only but for closing them; unflagging the question (its page, or
    the questions' Unflag action) resolves its open flags too."""

    list_display = ("created_at", "question_link", "reason", "status", "user", "comment_start", "resolved_by")
    list_filter = ("status", "reason")
    list_select_related = ("question", "user", "resolved_by")
    search_fields = ("comment", "user__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("resolve", "dismiss")

    @admin.display(description="question")
    def question_link(self, flag: QuestionFlag) -> str:
        url = reverse("admin:questions_question_change", args=[flag.question_id])
        return format_html('<a href="{}">{}</a>', url, truncatechars(flag.question.vignette, 70))

    @admin.display(description="comment")
    def comment_start(self, flag: QuestionFlag) -> str:
        return truncatechars(flag.comment, 60)

    def _close(self, request, queryset, status: str, verb: str) -> None:
        count = services.question_flags_close(staff=request.user, flags=queryset, status=status)
        self.message_user(request, f"{count} flag(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Resolve selected flags")
    def resolve(self, request, queryset):
        self._close(request, queryset, FlagStatus.RESOLVED, "resolved")

    @admin.action(description="Dismiss selected flags")
    def dismiss(self, request, queryset):
        self._close(request, queryset, FlagStatus.DISMISSED, "dismissed")


@admin.register(QuestionModerationEvent)
class QuestionModerationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "question", "staff", "details")
    list_filter = ("action",)
    list_select_related = ("question", "staff")
    search_fields = ("staff__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


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
