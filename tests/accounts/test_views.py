import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_redis import get_redis_connection

from accounts.models import EmailVerificationToken, PasswordResetToken, User
from tests import factories
from tests.accounts.helpers import link_in, make_expired_token, make_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-tarot-quietly-9"


def _logged_in_as(client):
    return client.session.get("_auth_user_id")


def _signup_data(**overrides):
    data = {"email": "nia@example.com", "name": "Nia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return data | overrides


def _login(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"email": email, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def unverified(db):
    return factories.UserFactory(email="una@example.com", name="Una Unverified", is_verified=False)


# --- Sign-up, log-in, log-out ----------------------------------------------------------------


def test_signup_creates_the_account_logs_in_and_emails_a_verification_link(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), _signup_data(email="Nia@Example.com"))

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    user = User.objects.get(email="nia@example.com")
    assert user.name == "Nia New"
    assert not user.is_verified
    assert user.password.startswith("argon2")
    assert _logged_in_as(client) == str(user.pk)
    assert EmailVerificationToken.objects.filter(user=user, is_used=False).count() == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["nia@example.com"]


def test_links_in_e_mails_follow_the_address_the_server_runs_on(
    client, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SITE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), _signup_data(email="nia@example.com"), HTTP_HOST="127.0.0.1:8123")
    assert "http://127.0.0.1:8123/accounts/verify/" in mailoutbox[0].body

    settings.SITE_URL = "https://studyin.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "nia@example.com"}, HTTP_HOST="127.0.0.1:8123")
    assert "https://studyin.example.org/accounts/reset/" in mailoutbox[1].body


def test_a_new_student_is_welcomed_not_welcomed_back(student_client, student):
    page = student_client.get(reverse("dashboard")).content.decode()
    assert "Welcome to StudyIn, Sam Student" in page and "Welcome back" not in page
    assert "Start in three steps" in page

    User.objects.filter(pk=student.pk).update(last_study_date=timezone.now())
    page = student_client.get(reverse("dashboard")).content.decode()
    assert "Welcome back, Sam Student" in page and "Start in three steps" not in page


def test_signup_page_has_labelled_fields_with_autocomplete(client, db):
    html = client.get(reverse("accounts:signup")).content.decode()

    assert '<label for="id_email"' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="name"' in html
    assert html.count('autocomplete="new-password"') == 2


def test_signup_with_a_taken_address_in_another_case_is_a_form_error(client, student, mailoutbox):
    response = client.post(reverse("accounts:signup"), _signup_data(email="SAM@example.com"))

    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["email"][0]
    assert User.objects.filter(email="sam@example.com").count() == 1
    assert not User.objects.filter(name="Nia New").exists()
    assert _logged_in_as(client) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-entirely"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),  # common and numeric: under Password
        ({"password1": "nia@example.com", "password2": "nia@example.com"}, "password1"),  # like the address
        ({"email": "nia@localhost"}, "email"),  # Django accepts it, the users.valid_email CHECK does not
        ({"name": ""}, "name"),
    ],
    ids=["mismatch", "weak", "similar", "address-the-database-refuses", "no-name"],
)
def test_signup_rejects_bad_input_as_form_errors(client, db, overrides, field):
    response = client.post(reverse("accounts:signup"), _signup_data(**overrides))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not User.objects.exists()


def test_login_with_the_right_password_logs_in_and_follows_next(client, student):
    response = client.post(
        reverse("accounts:login") + "?next=/accounts/profile/",
        {"email": "Sam@Example.com", "password": factories.PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    assert _logged_in_as(client) == str(student.pk)


def test_login_ignores_a_next_url_on_another_site(client, student):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example.com/",
        {"email": student.email, "password": factories.PASSWORD},
    )

    assert response.url == reverse("dashboard")


def test_login_with_a_wrong_password_says_so_without_logging_in(client, student):
    response = _login(client, student.email, "wrong-password")

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert _logged_in_as(client) is None


def test_logout_needs_a_post_and_ends_the_session(student_client, student):
    assert student_client.get(reverse("accounts:logout")).status_code == 405
    assert _logged_in_as(student_client) == str(student.pk)

    response = student_client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert _logged_in_as(student_client) is None


# --- Log-in rate limits ----------------------------------------------------------------------


def test_the_sixth_try_for_one_account_from_one_address_is_refused_and_says_when(client, student):
    for _ in range(settings.LOGIN_RATE_LIMIT):
        assert _login(client, student.email, "wrong-password", ip="10.0.0.7").status_code == 200

    response = _login(client, student.email, factories.PASSWORD, ip="10.0.0.7")

    assert response.status_code == 429
    assert re.search(r"Too many login attempts\. Try again in \d+ seconds?\.", response.content.decode())
    assert _logged_in_as(client) is None


def test_the_student_logs_in_from_their_own_address_while_someone_else_is_locked_out(client, student):
    for _ in range(settings.LOGIN_RATE_LIMIT + 1):
        _login(client, student.email, "wrong-password", ip="203.0.113.66")

    response = _login(client, student.email, factories.PASSWORD, ip="10.0.0.1")

    assert response.status_code == 302
    assert _logged_in_as(client) == str(student.pk)


def test_one_address_trying_many_accounts_is_refused_even_with_a_right_password(client, student, settings):
    settings.LOGIN_IP_RATE_LIMIT = 5
    for i in range(5):
        assert _login(client, f"guess{i}@example.com", "wrong-password", ip="10.9.9.9").status_code == 200

    response = _login(client, student.email, factories.PASSWORD, ip="10.9.9.9")

    assert response.status_code == 429
    assert "Too many login attempts. Try again in" in response.content.decode()
    assert _logged_in_as(client) is None
    keys = {k.decode() for k in get_redis_connection("default").keys("studyin:ratelimit:*")}
    assert "studyin:ratelimit:ip-10.9.9.9:login" in keys
    assert all(k.endswith(":login") for k in keys)


def test_a_successful_login_does_not_reset_the_address_counter(client, student, peer, settings):
    settings.LOGIN_IP_RATE_LIMIT = 5
    for _ in range(settings.LOGIN_IP_RATE_LIMIT - 1):
        _login(client, peer.email, "wrong-password", ip="10.9.9.9")
    assert _login(client, student.email, factories.PASSWORD, ip="10.9.9.9").status_code == 302
    client.post(reverse("accounts:logout"))
    _login(client, peer.email, "wrong-password", ip="10.9.9.9")  # the fifth failure from this address

    response = _login(client, student.email, factories.PASSWORD, ip="10.9.9.9")

    assert response.status_code == 429
    assert _logged_in_as(client) is None


def test_the_limits_are_per_account_and_per_address(client, student, peer):
    for i in range(settings.LOGIN_RATE_LIMIT + 1):
        _login(client, peer.email, "wrong-password", ip=f"10.0.0.{i}")

    response = _login(client, student.email, factories.PASSWORD, ip="10.0.2.2")

    assert response.status_code == 302
    assert _logged_in_as(client) == str(student.pk)


# --- E-mail verification ---------------------------------------------------------------------


def test_the_emailed_verification_link_verifies_the_account(
    client, unverified, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(unverified)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:verify_resend"))
    user_id, raw = link_in(mailoutbox[0])

    response = client.get(reverse("accounts:verify", args=[user_id, raw]))

    assert response.status_code == 200
    assert "is verified" in response.content.decode()
    unverified.refresh_from_db()
    assert unverified.is_verified
    assert not EmailVerificationToken.objects.filter(user=unverified, is_used=False).exists()


def test_verification_works_without_being_logged_in(client, unverified):
    token = make_token(EmailVerificationToken, unverified, "good-token")

    response = client.get(reverse("accounts:verify", args=[unverified.pk, "good-token"]))

    assert response.status_code == 200
    unverified.refresh_from_db()
    token.refresh_from_db()
    assert unverified.is_verified and token.is_used


@pytest.mark.parametrize(
    ("build", "raw", "says"),
    [
        (lambda user, peer: make_expired_token(EmailVerificationToken, user, "t"), "t", "has expired"),
        (lambda user, peer: make_token(EmailVerificationToken, user, "t", is_used=True), "t", "already been used"),
        (lambda user, peer: make_token(EmailVerificationToken, user, "t"), "wrong", "not valid"),
        (lambda user, peer: make_token(EmailVerificationToken, peer, "t"), "t", "not valid"),
    ],
    ids=["expired", "reused", "wrong", "other-users"],
)
def test_a_verification_link_that_cannot_be_used_gets_a_clear_page_with_a_resend_button(
    client, unverified, peer, build, raw, says
):
    token = build(unverified, peer)
    was_used = token.is_used
    client.force_login(unverified)

    response = client.get(reverse("accounts:verify", args=[unverified.pk, raw]))

    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert reverse("accounts:verify_resend") in html
    unverified.refresh_from_db()
    token.refresh_from_db()
    assert not unverified.is_verified
    assert token.is_used == was_used


def test_a_verification_link_works_once(client, unverified):
    make_token(EmailVerificationToken, unverified, "good-token")
    url = reverse("accounts:verify", args=[unverified.pk, "good-token"])

    assert client.get(url).status_code == 200
    second = client.get(url)

    assert second.status_code == 400
    assert "already been used" in second.content.decode()


def test_resend_needs_login_and_post(client, unverified):
    url = reverse("accounts:verify_resend")

    assert client.post(url).status_code == 302  # to the log-in page
    client.force_login(unverified)
    assert client.get(url).status_code == 405
    assert not EmailVerificationToken.objects.exists()


def test_resend_retires_earlier_links(client, unverified, django_capture_on_commit_callbacks, mailoutbox):
    old = make_token(EmailVerificationToken, unverified, "old-token")
    client.force_login(unverified)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:verify_resend"))

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.is_used
    assert EmailVerificationToken.objects.filter(user=unverified, is_used=False).count() == 1
    assert len(mailoutbox) == 1


def test_resend_for_a_verified_account_sends_nothing(student_client, student, mailoutbox):
    response = student_client.post(reverse("accounts:verify_resend"), follow=True)

    assert "already verified" in response.content.decode()
    assert not EmailVerificationToken.objects.exists()
    assert mailoutbox == []


# --- Home ------------------------------------------------------------------------------------


def test_home_pitches_to_anonymous_visitors(client, db):
    html = client.get(reverse("home")).content.decode()

    assert reverse("accounts:signup") in html
    assert reverse("accounts:login") in html


def test_home_shows_the_students_progress(student_client, student):
    User.objects.filter(pk=student.pk).update(
        level=3, xp=1234, current_streak=7, daily_goal_minutes=45, last_study_date=timezone.now()
    )

    html = student_client.get(reverse("dashboard")).content.decode()

    assert "Welcome back, Sam Student" in html
    for text in ("1234 XP", "Level", "45 min"):
        assert text in html
    assert "Resend verification e-mail" not in html


def test_home_offers_to_resend_the_verification_email(client, unverified):
    client.force_login(unverified)

    html = client.get(reverse("dashboard")).content.decode()

    assert "Resend verification e-mail" in html
    assert reverse("accounts:verify_resend") in html


# --- Profile ---------------------------------------------------------------------------------


def test_profile_needs_login(client, db):
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_profile_shows_the_address_and_its_verification_state(client, unverified):
    client.force_login(unverified)

    html = client.get(reverse("accounts:profile")).content.decode()

    assert "una@example.com" in html
    assert "Not verified yet" in html


def test_profile_saves_the_changes_with_a_message(student_client, student):
    response = student_client.post(
        reverse("accounts:profile"),
        {"name": "Samira", "daily_goal_minutes": "90", "time_zone": "Europe/Berlin", "scheduler": "sm2",
         "desired_retention": "85", "exam_date": "", "leaderboard_opt_in": "on"},
        follow=True,
    )  # fmt: skip

    assert "Your profile is saved." in response.content.decode()
    student.refresh_from_db()
    assert (student.name, student.daily_goal_minutes, student.notifications_enabled) == ("Samira", 90, False)
    assert (student.time_zone, student.scheduler, student.desired_retention) == ("Europe/Berlin", "sm2", 0.85)
    assert student.leaderboard_opt_in and student.exam_date is None


@pytest.mark.parametrize(
    ("field", "value"), [("desired_retention", "99"), ("time_zone", "Mars/Olympus"), ("exam_date", "2001-01-01")]
)
def test_profile_refuses_study_settings_out_of_range(student_client, student, field, value):
    data = {
        "name": "Sam",
        "daily_goal_minutes": "30",
        "time_zone": "UTC",
        "scheduler": "fsrs",
        "desired_retention": "90",
    }
    response = student_client.post(reverse("accounts:profile"), {**data, field: value})
    assert response.status_code == 200 and field in response.context["form"].errors


@pytest.mark.parametrize("goal", ["0", "481", "-5", "ten", ""])
def test_profile_rejects_a_daily_goal_outside_1_to_480(student_client, student, goal):
    response = student_client.post(
        reverse("accounts:profile"), {"name": "Samira", "daily_goal_minutes": goal, "notifications_enabled": "on"}
    )

    assert response.status_code == 200
    assert "daily_goal_minutes" in response.context["form"].errors
    student.refresh_from_db()
    assert (student.name, student.daily_goal_minutes) == ("Sam Student", 30)


# --- Password reset --------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["sam@example.com", "nobody@example.com"], ids=["account", "no-account"])
def test_reset_request_answers_the_same_whether_or_not_the_account_exists(
    client, student, email, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:password_reset_sent"), 302)]
    assert "If an account exists for that address, we sent it a link" in response.content.decode()
    exists = email == student.email
    assert len(mailoutbox) == int(exists)
    assert PasswordResetToken.objects.filter(user=student).count() == int(exists)


def test_the_emailed_reset_link_sets_a_new_password_and_logs_in(
    client, student, django_capture_on_commit_callbacks, mailoutbox
):
    other = make_token(PasswordResetToken, student, "older-token")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": student.email})
    user_id, raw = link_in(mailoutbox[0])
    url = reverse("accounts:password_reset_confirm", args=[user_id, raw])

    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('autocomplete="new-password"') == 2
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)

    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert "Your password is changed" in response.content.decode()
    assert _logged_in_as(client) == str(student.pk)
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert student.password.startswith("argon2")
    assert not PasswordResetToken.objects.filter(user=student, is_used=False).exists()
    other.refresh_from_db()
    assert other.is_used


def test_reset_confirm_rejects_mismatched_or_weak_passwords_as_form_errors(client, student):
    token = make_token(PasswordResetToken, student, "reset-token")
    url = reverse("accounts:password_reset_confirm", args=[student.pk, "reset-token"])

    for first, second in [(NEW_PASSWORD, NEW_PASSWORD + "x"), ("password", "password")]:
        response = client.post(url, {"new_password1": first, "new_password2": second})
        assert response.status_code == 200
        assert "new_password2" in response.context["form"].errors

    token.refresh_from_db()
    student.refresh_from_db()
    assert not token.is_used
    assert student.check_password(factories.PASSWORD)


@pytest.mark.parametrize(
    ("build", "raw", "says"),
    [
        (lambda user, peer: make_expired_token(PasswordResetToken, user, "t"), "t", "has expired"),
        (lambda user, peer: make_token(PasswordResetToken, user, "t", is_used=True), "t", "already been used"),
        (lambda user, peer: make_token(PasswordResetToken, user, "t"), "wrong", "not valid"),
        (lambda user, peer: make_token(PasswordResetToken, peer, "t"), "t", "not valid"),
    ],
    ids=["expired", "reused", "wrong", "other-users"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_reset_link_that_cannot_be_used_gets_a_clear_page_with_a_new_link(
    client, student, peer, build, raw, says, method
):
    token = build(student, peer)
    was_used = token.is_used
    url = reverse("accounts:password_reset_confirm", args=[student.pk, raw])

    response = getattr(client, method)(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert reverse("accounts:password_reset") in html
    token.refresh_from_db()
    student.refresh_from_db()
    assert token.is_used == was_used
    assert student.check_password(factories.PASSWORD)
    assert _logged_in_as(client) is None


def test_a_reset_link_works_once(client, student):
    make_token(PasswordResetToken, student, "reset-token")
    url = reverse("accounts:password_reset_confirm", args=[student.pk, "reset-token"])
    client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.post(reverse("accounts:logout"))

    response = client.post(url, {"new_password1": "another-pass-phrase-7", "new_password2": "another-pass-phrase-7"})

    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
