from django import forms

from coach.models import ConversationType
from materials.models import Material, ProcessingStatus

QUESTION_MAX = 2000


class AskForm(forms.Form):
    """A question to the coach, and which of the student's materials it may answer from (all
    ticked unless the conversation chose otherwise, as NotebookLM's sources)."""

    text = forms.CharField(
        label="Your question", max_length=QUESTION_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Ask about your notes, e.g. What causes nephrotic syndrome in children?"}),
    )  # fmt: skip
    materials = forms.ModelMultipleChoiceField(
        label="Answer from", queryset=Material.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The coach answers only from the materials ticked.",
    )  # fmt: skip

    topic = forms.ChoiceField(label="Topic", required=False, help_text="Only materials of this topic.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        materials = Material.objects.filter(user=user, processing_status=ProcessingStatus.COMPLETED)
        self.fields["materials"].queryset = materials.order_by("title")
        topics = materials.exclude(topic__isnull=True).exclude(topic="").order_by("topic")
        self.fields["topic"].choices = [
            ("", "Any topic"),
            *((t, t) for t in topics.values_list("topic", flat=True).distinct()),
        ]

    def clean_materials(self):
        materials = self.cleaned_data["materials"]
        if self.fields["materials"].queryset.exists() and not materials:
            raise forms.ValidationError("Tick at least one material for the coach to answer from.")
        return materials


class StartForm(AskForm):
    conversation_type = forms.ChoiceField(
        label="Kind of conversation", choices=ConversationType.choices, initial=ConversationType.EXPLORATION
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search your conversations", max_length=200, required=False)
