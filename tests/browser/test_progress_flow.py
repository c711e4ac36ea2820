import io

import pytest
from django.core.management import call_command

from accounts.models import User
from demo.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from studyin.rls import ROLE_SYSTEM, rls_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_student_sees_every_chart_with_data(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", users=6, questions=60, stdout=io.StringIO())
    with rls_context(role=ROLE_SYSTEM):
        demo = User.objects.get(email=DEMO_EMAIL)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(demo.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Progress", exact=True).click()
    page.get_by_role("link", name="90 days").click()
    charts = page.locator("section.chart")
    assert charts.count() == 8
    for i in range(7):
        chart = charts.nth(i)
        title = chart.locator("h2").inner_text()
        image = chart.locator("img.chart-img")
        assert image.count() == 1, f"{title}: no data"
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        chart.locator("summary").click()
        rows = chart.locator("tbody tr")
        assert rows.count() > 0 and any(
            cell not in ("", "–", "0", "None") for cell in chart.locator("tbody td:nth-child(2)").all_inner_texts()
        ), f"{title}: a table without numbers"
    assert page.locator("table.heatmap td[class^='heat-']:not(.heat-0)").count() >= 7  # the streak's days
