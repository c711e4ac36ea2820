from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.db import models

from accounts.models import EmailVerificationToken, PasswordResetToken, RefreshToken, User
from accounts.services import email_normalise


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        # The model stores e-mail lowercased; compare the same way so a duplicate is a form
        # error, not an IntegrityError.
        email = email_normalise(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("A user with this e-mail already exists.")
        return email


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name")  # the admin takes the rest from UserAdmin.fieldsets


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default, without the warning
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("name", "avatar_url", "daily_goal_minutes", "notifications_enabled")}),
        # The stats are derived from the XP ledger and the streak days: the services own them.
        ("Gamification", {"fields": ("xp", "level", "current_streak", "max_streak", "last_study_date")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_verified", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)
    readonly_fields = (
        "id",
        "xp",
        "level",
        "current_streak",
        "max_streak",
        "last_study_date",
        "created_at",
        "updated_at",
    )
    list_display = ("email", "name", "level", "xp", "current_streak", "is_verified", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "is_verified", "groups")
    search_fields = ("email", "name")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


class TokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the account services (only their hash is stored, and it is never
    shown); staff can look them up and spend or revoke one."""

    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False


@admin.register(EmailVerificationToken, PasswordResetToken)
class SingleUseTokenAdmin(TokenAdmin):
    fields = ("id", "user", "created_at", "expires_at", "is_used")
    readonly_fields = ("id", "user", "created_at", "expires_at")
    list_display = ("user", "created_at", "expires_at", "is_used")
    list_filter = ("is_used",)


@admin.register(RefreshToken)
class RefreshTokenAdmin(TokenAdmin):
    fields = ("id", "user", "family_id", "replaces", "created_at", "expires_at", "is_revoked")
    readonly_fields = ("id", "user", "family_id", "replaces", "created_at", "expires_at")
    list_display = ("user", "family_id", "created_at", "expires_at", "is_revoked")
    list_filter = ("is_revoked",)
    search_fields = ("user__email", "=family_id")
