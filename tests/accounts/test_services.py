import pytest
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection

from accounts import selectors, services
from accounts.models import EmailVerificationToken, PasswordResetToken, User
from accounts.selectors import TokenInvalid, token_hash
from studyin.rls import rls_context
from tests import factories
from tests.accounts.helpers import link_in, make_expired_token, make_token

SITE = "http://studyin.example:8123"

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-tarot-quietly-9"


@pytest.fixture
def unverified(db):
    return factories.UserFactory(email="una@example.com", name="Una Unverified", is_verified=False)


def _verify(user, raw):
    return services.email_verify(user_id=user.pk, token=raw)


# --- Sign-up ---------------------------------------------------------------------------------


def test_signup_stores_an_unverified_user_with_an_argon2_hash(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_signup(
            email="  New@Example.com ", name="Nia New", password=factories.PASSWORD, site_url=SITE
        )

    user = User.objects.get(pk=user.pk)
    assert user.email == "new@example.com"
    assert user.name == "Nia New"
    assert not user.is_verified
    assert user.password.startswith("argon2")
    assert user.check_password(factories.PASSWORD)


def test_signup_emails_a_link_whose_token_is_stored_only_as_its_hash(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_signup(email="new@example.com", name="Nia New", password=factories.PASSWORD, site_url=SITE)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]
    assert SITE + "/accounts/verify/" in mailoutbox[0].body
    user_id, raw = link_in(mailoutbox[0])
    assert user_id == str(user.pk)
    token = EmailVerificationToken.objects.get(user=user)
    assert token.token_hash == token_hash(raw) != raw
    assert token.is_usable()
    assert (token.expires_at - token.created_at).total_seconds() == settings.EMAIL_VERIFICATION_TTL_HOURS * 3600


def test_signup_sends_no_mail_until_the_transaction_commits(mailoutbox):
    services.user_signup(email="new@example.com", name="Nia New", password=factories.PASSWORD, site_url=SITE)

    assert mailoutbox == []  # the test's transaction never commits


def test_signup_refuses_an_address_taken_in_another_case(student):
    with pytest.raises(services.EmailTaken):
        services.user_signup(email="SAM@Example.COM", name="Sam Again", password=factories.PASSWORD, site_url=SITE)

    assert User.objects.filter(email__iexact="sam@example.com").count() == 1
    assert not EmailVerificationToken.objects.exists()


# --- E-mail verification ---------------------------------------------------------------------


def test_verify_marks_the_user_verified_and_the_token_used(unverified):
    token = make_token(EmailVerificationToken, unverified, "good-token")

    _verify(unverified, "good-token")

    token.refresh_from_db()
    unverified.refresh_from_db()
    assert unverified.is_verified
    assert token.is_used


@pytest.mark.parametrize(
    ("build", "raw", "reason"),
    [
        (lambda user: make_expired_token(EmailVerificationToken, user, "t"), "t", "expired"),
        (lambda user: make_token(EmailVerificationToken, user, "t", is_used=True), "t", "used"),
        (lambda user: make_token(EmailVerificationToken, user, "t"), "wrong", "invalid"),
    ],
    ids=["expired", "reused", "wrong"],
)
def test_verify_refuses_a_token_that_cannot_be_used(unverified, build, raw, reason):
    token = build(unverified)
    was_used = token.is_used

    with pytest.raises(TokenInvalid) as excinfo:
        _verify(unverified, raw)

    assert excinfo.value.reason == reason
    token.refresh_from_db()
    unverified.refresh_from_db()
    assert not unverified.is_verified
    assert token.is_used == was_used


def test_verify_refuses_another_users_token(unverified, peer):
    peer_token = make_token(EmailVerificationToken, peer, "peer-token")
    User.objects.filter(pk=peer.pk).update(is_verified=False)

    with pytest.raises(TokenInvalid) as excinfo:
        _verify(unverified, "peer-token")

    assert excinfo.value.reason == "invalid"
    peer_token.refresh_from_db()
    assert not peer_token.is_used
    assert not User.objects.filter(pk__in=[unverified.pk, peer.pk], is_verified=True).exists()


def test_verify_lookup_cannot_see_other_users_tokens_even_without_the_user_filter(unverified, peer):
    make_token(EmailVerificationToken, peer, "peer-token")

    with rls_context(user_id=unverified.pk):
        # Row-level security alone hides the peer's row from a lookup running as `unverified`.
        assert not EmailVerificationToken.objects.filter(token_hash=token_hash("peer-token")).exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM email_verification_tokens")
            assert cursor.fetchone() == (0,)


def test_verify_lets_only_one_of_two_simultaneous_clicks_succeed(unverified, monkeypatch):
    token = make_token(EmailVerificationToken, unverified, "good-token")

    def lookup_then_lose_the_race(**kwargs):
        row = selectors.email_verification_token_get(**kwargs)
        # The other click claims the token between our check and our update.
        EmailVerificationToken.objects.filter(pk=row.pk).update(is_used=True)
        return row

    monkeypatch.setattr(services, "email_verification_token_get", lookup_then_lose_the_race)

    with pytest.raises(TokenInvalid) as excinfo:
        _verify(unverified, "good-token")

    assert excinfo.value.reason == "used"
    unverified.refresh_from_db()
    assert not unverified.is_verified
    # The simulated winner ran inside our savepoint, so it was rolled back along with us.
    token.refresh_from_db()
    assert not token.is_used


def test_resending_verification_retires_earlier_links(unverified, django_capture_on_commit_callbacks, mailoutbox):
    old = make_token(EmailVerificationToken, unverified, "old-token")

    with django_capture_on_commit_callbacks(execute=True):
        services.email_verification_send(user=unverified, site_url=SITE)

    old.refresh_from_db()
    assert old.is_used
    _, raw = link_in(mailoutbox[0])
    assert EmailVerificationToken.objects.get(user=unverified, is_used=False).token_hash == token_hash(raw)
    with pytest.raises(TokenInvalid):
        _verify(unverified, "old-token")
    _verify(unverified, raw)
    unverified.refresh_from_db()
    assert unverified.is_verified


# --- Log-in ----------------------------------------------------------------------------------


def test_authenticate_returns_the_user_for_the_right_password_in_any_case(student):
    user = services.user_authenticate(email=" SAM@example.com", password=factories.PASSWORD, client_ip="10.0.0.1")

    assert user.pk == student.pk


def _counter(subject: str) -> tuple[int | None, int]:
    redis = get_redis_connection("default")
    key = f"studyin:ratelimit:{subject}:login"
    value = redis.scard(key) if redis.type(key) == b"set" else redis.get(key)
    return (int(value) if value is not None and value != 0 else None), redis.ttl(key)


def _fail(email: str, ip: str) -> None:
    with pytest.raises(services.LoginFailed):
        services.user_authenticate(email=email, password="nope", client_ip=ip)


def _try(email: str, ip: str, password: str = "nope") -> str:
    """ "failed", "refused" (rate limited) or "ok"."""
    try:
        services.user_authenticate(email=email, password=password, client_ip=ip)
    except services.LoginFailed:
        return "failed"
    except services.LoginRateLimited:
        return "refused"
    return "ok"


def test_authenticate_refuses_a_wrong_password_and_counts_it_three_ways(student):
    _fail(student.email, "10.0.0.1")

    count, ttl = _counter(f"{student.pk}@ip-10.0.0.1")  # this account from this address
    assert count == 1 and 0 < ttl <= 60
    count, ttl = _counter("ip-10.0.0.1")  # this address, any account
    assert count == 1 and 0 < ttl <= 60
    count, ttl = _counter(str(student.pk))  # the addresses failing at this account: the hourly ceiling
    assert count == 1 and 60 < ttl <= 3600


def test_authenticate_refuses_an_inactive_account(student):
    User.objects.filter(pk=student.pk).update(is_active=False)

    with pytest.raises(services.LoginFailed):
        services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="10.0.0.1")


def test_authenticate_counts_unknown_addresses_under_a_hash_not_the_address(db):
    _fail("Ghost@example.com", "10.0.0.1")

    keys = {k.decode() for k in get_redis_connection("default").keys("studyin:ratelimit:*")}
    ghost = f"email-{token_hash('ghost@example.com')}"
    assert keys == {
        f"studyin:ratelimit:{ghost}@ip-10.0.0.1:login",
        f"studyin:ratelimit:{ghost}:login",
        "studyin:ratelimit:ip-10.0.0.1:login",
    }


def test_over_the_limit_at_one_address_refuses_without_checking_the_password_and_says_when(student, monkeypatch):
    for _ in range(settings.LOGIN_RATE_LIMIT):
        _fail(student.email, "10.0.0.9")
    checked = []
    monkeypatch.setattr(services, "authenticate", lambda *a, **kw: checked.append(kw))

    with pytest.raises(services.LoginRateLimited) as refused:
        services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="10.0.0.9")

    assert checked == []
    assert 0 < refused.value.seconds <= 60
    assert _counter(f"{student.pk}@ip-10.0.0.9")[0] == settings.LOGIN_RATE_LIMIT  # a refusal counts nothing


def test_one_address_hammering_an_account_never_locks_the_student_out(student):
    outcomes = [_try(student.email, "203.0.113.66") for _ in range(150)]  # an attacker, as fast as it can
    assert outcomes.count("failed") == settings.LOGIN_RATE_LIMIT and outcomes.count("refused") == 145
    assert _counter(str(student.pk))[0] == 1  # one address, however many tries

    assert _try(student.email, "10.0.0.1", factories.PASSWORD) == "ok"


def test_guesses_spread_over_many_addresses_meet_the_accounts_hourly_ceiling(student, settings):
    settings.LOGIN_ACCOUNT_ADDRESS_LIMIT = 12
    for i in range(12):
        _fail(student.email, f"198.51.100.{i}")

    with pytest.raises(services.LoginRateLimited) as refused:
        services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="10.0.0.1")
    assert 60 < refused.value.seconds <= 3600


def test_one_address_trying_many_accounts_meets_the_address_limit(db, student, settings):
    for i in range(settings.LOGIN_IP_RATE_LIMIT):
        _fail(f"guess{i}@example.com", "203.0.113.7")

    with pytest.raises(services.LoginRateLimited):
        services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="203.0.113.7")


def test_a_campus_behind_one_address_logs_in_freely(db, settings):
    students = [factories.UserFactory() for _ in range(settings.LOGIN_IP_RATE_LIMIT + 10)]
    assert {_try(s.email, "192.0.2.10", factories.PASSWORD) for s in students} == {"ok"}


def test_an_ipv6_client_counts_by_its_slash_64(student):
    for i in range(settings.LOGIN_RATE_LIMIT):
        _fail(student.email, f"2001:db8:1:2::{i + 1:x}")
    assert _try(student.email, "2001:db8:1:2:ffff::1", factories.PASSWORD) == "refused"  # the same /64
    assert _try(student.email, "2001:db8:1:3::1", factories.PASSWORD) == "ok"


def test_a_successful_login_clears_only_this_account_at_this_address(student):
    _fail(student.email, "10.0.0.1")

    services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="10.0.0.1")

    assert _counter(f"{student.pk}@ip-10.0.0.1")[0] is None
    assert _counter("ip-10.0.0.1")[0] == 1  # the failure; the success does not count
    assert _counter(str(student.pk))[0] == 1


def test_with_redis_unreachable_the_student_can_still_log_in(student, monkeypatch, tmp_path):
    import redis

    from studyin import ratelimit

    nowhere = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), socket_connect_timeout=1)
    monkeypatch.setattr(ratelimit, "get_redis_connection", lambda alias: nowhere)

    user = services.user_authenticate(email=student.email, password=factories.PASSWORD, client_ip="10.0.0.1")

    assert user.pk == student.pk
    _fail(student.email, "10.0.0.1")  # a wrong password is still wrong


# --- Profile ---------------------------------------------------------------------------------


def test_profile_update_saves_the_three_fields(student):
    services.user_profile_update(user=student, name=" Samira ", daily_goal_minutes=90, notifications_enabled=False)

    student.refresh_from_db()
    assert (student.name, student.daily_goal_minutes, student.notifications_enabled) == ("Samira", 90, False)


# --- Password reset --------------------------------------------------------------------------


def test_reset_request_emails_an_active_account_a_link(student, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email="Sam@Example.com", site_url=SITE)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [student.email]
    user_id, raw = link_in(mailoutbox[0])
    assert user_id == str(student.pk)
    token = PasswordResetToken.objects.get(user=student)
    assert token.token_hash == token_hash(raw)
    assert (token.expires_at - token.created_at).total_seconds() == settings.PASSWORD_RESET_TTL_MINUTES * 60


@pytest.mark.parametrize("email", ["sam@example.com", "nobody@example.com"], ids=["inactive", "unknown"])
def test_reset_request_sends_nothing_without_an_active_account(
    student, email, django_capture_on_commit_callbacks, mailoutbox
):
    User.objects.filter(pk=student.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.password_reset_request(email=email, site_url=SITE) is None

    assert mailoutbox == []
    assert not PasswordResetToken.objects.exists()


def test_reset_confirm_sets_the_password_and_spends_every_reset_link(student):
    token = make_token(PasswordResetToken, student, "reset-token")
    other = make_token(PasswordResetToken, student, "older-token")
    peers = make_token(PasswordResetToken, factories.UserFactory(), "peer-token")

    services.password_reset_confirm(user_id=student.pk, token="reset-token", password=NEW_PASSWORD)

    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert student.password.startswith("argon2")
    for row in (token, other, peers):
        row.refresh_from_db()
    assert token.is_used and other.is_used
    assert not peers.is_used


@pytest.mark.parametrize(
    ("build", "raw", "reason"),
    [
        (lambda user: make_expired_token(PasswordResetToken, user, "t"), "t", "expired"),
        (lambda user: make_token(PasswordResetToken, user, "t", is_used=True), "t", "used"),
        (lambda user: make_token(PasswordResetToken, user, "t"), "wrong", "invalid"),
    ],
    ids=["expired", "reused", "wrong"],
)
def test_reset_confirm_refuses_a_token_that_cannot_be_used(student, build, raw, reason):
    token = build(student)
    was_used = token.is_used

    with pytest.raises(TokenInvalid) as excinfo:
        services.password_reset_confirm(user_id=student.pk, token=raw, password=NEW_PASSWORD)

    assert excinfo.value.reason == reason
    student.refresh_from_db()
    token.refresh_from_db()
    assert student.check_password(factories.PASSWORD)
    assert token.is_used == was_used


def test_reset_confirm_refuses_another_users_token(student, peer):
    peer_token = make_token(PasswordResetToken, peer, "peer-token")

    with pytest.raises(TokenInvalid):
        services.password_reset_confirm(user_id=student.pk, token="peer-token", password=NEW_PASSWORD)

    peer_token.refresh_from_db()
    assert not peer_token.is_used
    for user in (student, peer):
        user.refresh_from_db()
        assert user.check_password(factories.PASSWORD)
