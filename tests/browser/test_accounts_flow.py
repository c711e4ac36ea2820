import re

import pytest
from django.core import mail

from accounts.models import User
from studyin.rls import ROLE_SYSTEM, rls_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_signs_up_verifies_logs_out_and_logs_back_in(page, settings, live_server):
    settings.SITE_URL = live_server.url
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()

    page.get_by_label("E-mail address").fill("maria@example.com")
    page.get_by_label("Name").fill("Maria Medic")
    page.locator("#id_password1").fill("a-long-anatomy-passphrase")
    page.locator("#id_password2").fill("a-long-anatomy-passphrase")
    page.get_by_role("button", name="Sign up").click()

    page.get_by_text("Welcome to StudyIn!").wait_for()
    assert "Maria Medic" in page.locator("header").inner_text()
    with rls_context(role=ROLE_SYSTEM):
        assert User.objects.get(email="maria@example.com").is_verified is False

    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/verify/\S+", message.body).group(0)
    page.goto(link)
    page.get_by_text("verified", exact=False).first.wait_for()
    assert User.objects.get(email="maria@example.com").is_verified is True

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()

    page.get_by_label("E-mail address").fill("maria@example.com")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("do not match an account").wait_for()

    page.get_by_label("Password").fill("a-long-anatomy-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Maria Medic").first.wait_for()
    assert page.url == f"{live_server.url}/dashboard/"  # a new student lands on the dashboard
