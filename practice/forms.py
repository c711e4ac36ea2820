from django import forms

from accounts.models import User
from materials.selectors import materials_for
from practice.models import SessionType
from practice.selectors import BLOCK_SIZE_DEFAULT, BLOCK_SIZE_MAX, POOLS, BlockFilters, topics_for
from questions.models import Difficulty

MODES = {
    SessionType.TUTOR: ("Tutor", "The answer and its explanation right after each question; no clock."),
    SessionType.TIMED: ("Timed", "A block clock of 90 seconds a question; answers and explanations at the end."),
    SessionType.TEST: ("Test", "Exam conditions: the clock, and no feedback at all until you end the block."),
    SessionType.REVIEW: (
        "Review",
        "Your reviews due now, the ones you are most likely to forget first, explained like tutor.",
    ),
}
CONFIDENCE = [(1, "1 Guess"), (2, "2 Unsure"), (3, "3 Fair"), (4, "4 Sure"), (5, "5 Certain")]


class BuilderForm(forms.Form):
    """The block builder. Every field has a default (a choice left out takes it), so an unbound
    form, or the builder's URL with only some choices in it, describes a block too."""

    mode = forms.ChoiceField(
        label="Mode",
        choices=[(mode, label) for mode, (label, _) in MODES.items()],
        initial=SessionType.TUTOR,
        required=False,
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label="Topics", required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: all topics."
    )
    difficulties = forms.MultipleChoiceField(
        label="Difficulty",
        choices=Difficulty.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all.",
    )
    material = forms.ModelChoiceField(label="Source material", queryset=None, required=False, empty_label="Any source")
    pool = forms.ChoiceField(
        label="Questions", choices=POOLS.items(), initial="all", required=False, widget=forms.RadioSelect
    )
    size = forms.IntegerField(
        label="Block size",
        min_value=1,
        max_value=BLOCK_SIZE_MAX,
        initial=BLOCK_SIZE_DEFAULT,
        required=False,
        help_text=f"1 to {BLOCK_SIZE_MAX} questions.",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(topic, f"{topic} ({count})") for topic, count in topics_for(user=user)]
        self.fields["material"].queryset = materials_for(user=user)
        if not user.exam_date:  # "most likely to forget by my exam" needs the exam's date
            self.fields["pool"].choices = [(k, v) for k, v in POOLS.items() if k != "forgetting"]

    def mode_options(self) -> list[tuple]:
        """The mode radio buttons, each with its one-line description."""
        return [(radio, MODES[radio.data["value"]][1]) for radio in self["mode"]]

    def filters(self) -> BlockFilters:
        """The block these choices describe: the cleaned data when valid, else the defaults."""
        if not self.is_bound:
            return BlockFilters()
        self.is_valid()
        data = self.cleaned_data
        material = data.get("material")
        return BlockFilters(
            mode=data.get("mode") or SessionType.TUTOR,
            topics=tuple(data.get("topics") or ()),
            difficulties=tuple(data.get("difficulties") or ()),
            material_id=material.pk if material else None,
            pool=data.get("pool") or "all",
            size=data.get("size") or BLOCK_SIZE_DEFAULT,
        )


class AnswerForm(forms.Form):
    """The answer form as the answer endpoint reads it: which option the question has is
    answer_submit's check, under the item's lock, so nothing is looked up here."""

    choice = forms.IntegerField(min_value=0, required=False)
    confidence = forms.TypedChoiceField(choices=CONFIDENCE, coerce=int, required=False, empty_value=None)


class ItemForm(forms.Form):
    """What a question's form posts: the option picked, the confidence, and the one action of
    the button pressed (mark, strike out or restore an option). Every button posts the whole
    form, so pressing one never loses an option picked but not yet submitted."""

    choice = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    confidence = forms.TypedChoiceField(choices=CONFIDENCE, coerce=int, required=False, empty_value=None)
    marked = forms.TypedChoiceField(
        choices=[("1", "yes"), ("0", "no")], coerce=lambda v: v == "1", required=False, empty_value=None
    )
    strike = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    restore = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, option_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        options = [(i, chr(ord("A") + i)) for i in range(option_count)]
        for name in ("choice", "strike", "restore"):
            self.fields[name].choices = options
