import json
import uuid

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import gdpr, services
from accounts.forms import (
    DUPLICATE_EMAIL,
    AccountDeleteForm,
    LoginForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
)
from accounts.models import User
from accounts.selectors import TokenInvalid, password_reset_token_get
from studyin.rls import ROLE_SYSTEM, rls_context

LOGIN_FAILED = "That e-mail address and password do not match an account."


def _rate_limited_message(seconds: int) -> str:
    wait = f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 90 else f"{round(seconds / 60)} minutes"
    return f"Too many login attempts. Try again in {wait}."


def _client_ip(request: HttpRequest) -> str:
    # The address of the peer that connected to us. Behind a load balancer that is the balancer
    # for everyone, and the per-IP login limit would lock all students out together: the
    # balancer must hand over the client's address as REMOTE_ADDR (gunicorn --proxy-protocol
    # with a PROXY-protocol balancer; README, "Production"). X-Forwarded-For is not read
    # because any client can forge it.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _site_url(request: HttpRequest) -> str:
    """The address this page was opened at, for links in e-mails (SITE_URL wins when set)."""
    return request.build_absolute_uri("/")


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = services.user_signup(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
                site_url=_site_url(request),
            )
        except services.EmailTaken:
            form.add_error("email", DUPLICATE_EMAIL)
        else:
            auth.login(request, user)
            messages.success(request, f"Welcome to StudyIn! We sent a link to {user.email} to verify your address.")
            return redirect("dashboard")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            user = services.user_authenticate(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"], client_ip=_client_ip(request)
            )
        except services.LoginRateLimited as exc:
            form.add_error(None, _rate_limited_message(exc.seconds))
            status = 429
        except services.LoginFailed:
            form.add_error(None, LOGIN_FAILED)
        else:
            auth.login(request, user)
            return redirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    messages.info(request, "You are logged out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_GET
def verify(request: HttpRequest, user_id: uuid.UUID, token: str) -> HttpResponse:
    try:
        user = services.email_verify(user_id=user_id, token=token)
    except TokenInvalid as exc:
        return render(request, "accounts/verify_invalid.html", {"reason": exc.reason}, status=400)
    return render(request, "accounts/verify_done.html", {"verified_user": user})


@login_required
@require_POST
def verify_resend(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified:
        messages.info(request, "Your e-mail address is already verified.")
    else:
        services.email_verification_send(user=request.user, site_url=_site_url(request))
        messages.success(request, f"We sent a new verification link to {request.user.email}.")
    return redirect("dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.user_profile_update(user=user, **form.cleaned_data)
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    else:
        initial = {name: getattr(user, name) for name in services.PROFILE_FIELDS}
        form = ProfileForm(initial={**initial, "desired_retention": round(user.desired_retention * 100)})
    return render(request, "accounts/profile.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"], site_url=_site_url(request))
        # The same answer whether or not the address has an account.
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_GET
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, user_id: uuid.UUID, token: str) -> HttpResponse:
    try:
        password_reset_token_get(user_id=user_id, token=token)
    except TokenInvalid as exc:
        return render(request, "accounts/password_reset_invalid.html", {"reason": exc.reason}, status=400)
    user = get_object_or_404(User, pk=user_id)
    form = PasswordResetConfirmForm(user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = services.password_reset_confirm(
                user_id=user_id, token=token, password=form.cleaned_data["new_password1"]
            )
        except TokenInvalid as exc:
            return render(request, "accounts/password_reset_invalid.html", {"reason": exc.reason}, status=400)
        auth.login(request, user)
        messages.success(request, "Your password is changed and you are logged in.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """Everything the student owns, as a JSON download (data portability)."""
    data = gdpr.user_export(user=request.user)
    response = HttpResponse(json.dumps(data, indent=2, sort_keys=True), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="studyin-export-{timezone.localdate():%Y-%m-%d}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """Erase the student's account, after their password."""
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        with rls_context(role=ROLE_SYSTEM):
            gdpr.user_delete(user=user, actor=user)
        auth.logout(request)
        return redirect("accounts:deleted")
    return render(request, "accounts/delete.html", {"form": form})


@require_GET
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/deleted.html")
