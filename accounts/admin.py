from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.db import models

from accounts.audit import audit_record, person_key
from accounts.gdpr import user_delete
from accounts.models import AuditAction, AuditEvent, EmailVerificationToken, PasswordResetToken, RefreshToken, User
from accounts.services import email_normalise
from studyin.admin import ReadOnlyAdminMixin
from studyin.rls import ROLE_SYSTEM, rls_context


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


ROLE_FIELDS = {"is_staff", "is_superuser", "is_active", "groups", "user_permissions"}


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
    actions = ["erase_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # erasure goes through the GDPR service, with its report
        return actions

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = sorted(set(form.changed_data) & ROLE_FIELDS)
        if change and changed:
            audit_record(action=AuditAction.STAFF_CHANGED, actor=request.user, subject=obj,
                         details={f: form.cleaned_data[f] for f in changed if f in ("is_staff", "is_superuser", "is_active")}
                         | {"changed": changed})  # fmt: skip

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit_record(action=AuditAction.PASSWORD_CHANGED, actor=request.user, subject=id)
        return response

    def delete_model(self, request, obj):
        with rls_context(role=ROLE_SYSTEM):
            report = user_delete(user=obj, actor=request.user)
        self.message_user(request, f"{obj.email} is erased: {sum(report['deleted'].values())} rows deleted, "
                                   f"{sum(report['anonymised'].values())} anonymised.")  # fmt: skip

    @admin.action(description="Erase the selected users and everything they own (GDPR)", permissions=["delete"])
    def erase_selected(self, request, queryset):
        users, rows = list(queryset), 0
        with rls_context(role=ROLE_SYSTEM):
            for user in users:
                rows += sum(user_delete(user=user, actor=request.user)["deleted"].values())
        self.message_user(request, f"Erased {len(users)} user(s): {rows} rows deleted, analytics anonymised.")


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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only audit log, read-only. Search by a person's e-mail or id: the log names
    people by key (accounts/audit.py), so the search computes the key."""

    list_display = ("created_at", "action", "actor_key", "subject_key", "details")
    list_filter = ("action",)
    search_fields = ("actor_key", "subject_key")
    search_help_text = "An e-mail address or a user id finds that person's events (as actor or subject)."
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        user = User.objects.filter(email__iexact=term).first()
        key = person_key(user.pk if user else term)
        return queryset.filter(models.Q(actor_key=key) | models.Q(subject_key=key)), False
