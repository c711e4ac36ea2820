from django import forms

from questions.models import FlagReason

FLAG_COMMENT_MAX_LENGTH = 1000


class FlagForm(forms.Form):
    """A student's report of a problem with a question (templates/questions/_flag.html)."""

    reason = forms.ChoiceField(label="What is wrong?", choices=[("", "Choose a reason"), *FlagReason.choices])
    comment = forms.CharField(
        label="Details (optional)",
        required=False,
        max_length=FLAG_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )

    def __init__(self, *args, question_id, **kwargs):
        # Several questions can share a page (a test review): ids must not collide.
        kwargs.setdefault("auto_id", f"flag-{question_id}-%s")
        super().__init__(*args, **kwargs)
