from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import SetPasswordForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone

from accounts.models import Scheduler, User
from accounts.services import email_normalise

# The users.valid_email CHECK constraint. Django's EmailField alone lets through addresses the
# database refuses (user@localhost, internationalised domains), which would end in a 500.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
DUPLICATE_EMAIL = "An account with this e-mail address already exists. Log in, or reset your password."


def _email_field(autocomplete: str) -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=255,
        validators=[RegexValidator(EMAIL_PATTERN, "Enter a valid e-mail address.", code="invalid")],
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete, "autofocus": True}),
    )


class SignupForm(SetPasswordMixin, forms.Form):
    email = _email_field("email")
    name = forms.CharField(label="Name", max_length=255, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_email(self) -> str:
        email = email_normalise(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(DUPLICATE_EMAIL, code="duplicate")
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        # An unsaved user lets the similarity validator compare the password with the address.
        # A weak password is the password's error, shown under "Password"; only a mismatch
        # belongs under "Password confirmation".
        self.validate_password_for_user(
            User(email=cleaned.get("email", ""), name=cleaned.get("name", "")), password_field_name="password1"
        )
        return cleaned


class LoginForm(forms.Form):
    email = _email_field("username")
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    daily_goal_minutes = forms.IntegerField(
        label="Daily goal (minutes)",
        min_value=1,
        max_value=480,
        help_text="How long you want to study each day, from 1 to 480 minutes.",
    )
    notifications_enabled = forms.BooleanField(label="Send me study reminders", required=False)
    time_zone = forms.ChoiceField(
        label="Time zone", help_text="Your study days, streak and daily goal follow your time zone's midnight."
    )
    exam_date = forms.DateField(
        label="Exam date", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Reviews then aim at what you would forget by that day; the dashboard counts down to it.",
    )  # fmt: skip
    scheduler = forms.ChoiceField(label="Review scheduler", choices=Scheduler.choices, widget=forms.RadioSelect)
    desired_retention = forms.IntegerField(
        label="Desired recall (%)", min_value=70, max_value=97,
        help_text="FSRS schedules each review for when your chance of recall falls to this: higher means more reviews.",
    )  # fmt: skip
    leaderboard_opt_in = forms.BooleanField(
        label="Show my name and weekly XP on the leaderboard", required=False,
        help_text="Only students who join see it; nothing else about you is shown.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone.replace("_", " ")) for zone in sorted(available_timezones())]

    def clean_exam_date(self):
        day = self.cleaned_data["exam_date"]
        if day and day < timezone.localdate():
            raise forms.ValidationError("The exam date is in the past.")
        return day

    def clean_desired_retention(self):
        return self.cleaned_data["desired_retention"] / 100


class PasswordResetRequestForm(forms.Form):
    email = _email_field("email")


class PasswordResetConfirmForm(SetPasswordForm):
    """New password twice, checked by the password validators against the account's user."""


class AccountDeleteForm(forms.Form):
    """Erasing an account asks for its password again: a session left open is not consent."""

    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))  # fmt: skip
    confirm = forms.BooleanField(
        label="I understand that my materials, questions, progress and conversations are deleted for good"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
