"""The progress page's numbers against hand-computed ones."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from analytics import services
from analytics.charts import progress_charts
from analytics.selectors import progress_for
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories
from tests.analytics.test_services import _at, _attempt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def noon():
    """Today at noon (UTC), so "two minutes ago" is today whenever the suite runs."""
    with time_machine.travel(_at(datetime.datetime.now(datetime.UTC).date(), 12), tick=False):
        yield


@pytest.fixture
def history(student, peer):
    """Three days ago: Renal 1 of 2 right (60 s, 90 s), Cardiology 0 of 1 (40 s); today: Cardiology
    1 of 1 right (30 s), a review of the question first seen three days ago; peers on Renal below
    and above. The Renal questions are renal, the Cardiology one (on aspirin) cardiovascular."""
    today = timezone.now().date()
    past = today - datetime.timedelta(days=3)
    renal = [factories.QuestionFactory(is_verified=True, topic="Renal", organ_system="renal") for _ in range(2)]
    cardio = factories.QuestionFactory(is_verified=True, topic="Cardiology")
    _attempt(student, renal[0], _at(past, 9), is_correct=True, time_taken_seconds=60)
    _attempt(student, renal[1], _at(past, 9, 5), is_correct=False, time_taken_seconds=90)
    _attempt(student, cardio, _at(past, 10), is_correct=False, time_taken_seconds=40)
    now = timezone.now()
    _attempt(student, cardio, now - datetime.timedelta(minutes=2), is_correct=True, time_taken_seconds=30)
    for mastery, user in ((40, peer), (90, factories.UserFactory())):
        factories.MasteryLevelFactory(user=user, topic="Renal", questions_answered=10, questions_correct=mastery // 10)
    factories.MasteryLevelFactory(user=student, topic="Renal", questions_answered=5, questions_correct=3)
    with rls_context(role=ROLE_SYSTEM):
        services.day_metrics_write(day=past)
    return past, today


def test_the_numbers_add_up_by_hand(student, history):
    past, today = history
    progress = progress_for(user=student, days=7)
    assert progress.first == today - datetime.timedelta(days=6) and len(progress.days) == 7
    day = progress.days[past]
    assert (day.attempted, day.correct, day.seconds) == (3, 1, 190)
    assert {t: tuple(c) for t, c in day.topics.items()} == {"Renal": (2, 1), "Cardiology": (1, 0)}
    assert {s: tuple(c) for s, c in day.systems.items()} == {"renal": (2, 1), "cardiovascular": (1, 0)}
    now = progress.days[today]
    assert (now.attempted, now.correct, now.reviewed, now.recalled) == (1, 1, 1, 1)
    assert now.systems == {"cardiovascular": [1, 1]}  # today's, live
    total = progress.total
    assert (total.attempted, total.correct) == (4, 2)
    assert progress.percentiles == [("Renal", 50.0, 2)]  # 60 % beats 40 %, not 90 %
    assert sum(progress.hours) == 4
    charts = {c.key: c for c in progress_charts(progress)}
    pace = dict(charts["pace"].rows)
    assert pace[past.strftime("%d %b")] == round(190 / 3) and pace[today.strftime("%d %b")] == 30
    assert dict((r[0], r[1]) for r in charts["questions"].rows)[past.strftime("%d %b")] == 3
    assert charts["percentiles"].rows == [["Renal", 50, 2]]
    systems = charts["systems"]
    assert set(systems.headers) == {"Day", "Renal & urinary", "Cardiovascular"}
    by_day = {row[0]: dict(zip(systems.headers[1:], row[1:], strict=True)) for row in systems.rows}
    assert by_day[past.strftime("%d %b")] == {"Renal & urinary": 50.0, "Cardiovascular": 0.0}
    assert by_day[today.strftime("%d %b")] == {"Renal & urinary": None, "Cardiovascular": 100.0}


def test_the_page_shows_every_chart_with_its_table_and_the_ranges(student_client, history):
    page = student_client.get(reverse("analytics:progress"), {"range": "7"}).content.decode()
    for title in ("Accuracy by topic", "Accuracy by organ system", "Where you stand among other students", "Questions answered",
                  "True retention against the scheduler", "XP over time", "When you study",
                  "Time per question against the exam", "Study days"):  # fmt: skip
        assert title in page, title
    assert page.count('src="/progress/chart/') == 8 and page.count("<details>") == 8
    assert "<strong>4</strong> questions" in page and "<strong>50%</strong> correct" in page
    for r in ("90", "all", "nonsense"):
        assert student_client.get(reverse("analytics:progress"), {"range": r}).status_code == 200


def test_the_page_is_cached_until_the_next_answer(student_client, student, history, django_capture_on_commit_callbacks):
    from tests.answering import answer

    url = reverse("analytics:progress")
    assert "<strong>4</strong> questions" in student_client.get(url, {"range": "7"}).content.decode()
    _attempt(student, factories.QuestionFactory(is_verified=True), timezone.now())  # behind the cache's back
    assert "<strong>4</strong> questions" in student_client.get(url, {"range": "7"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer(student, factories.QuestionFactory(is_verified=True))
    assert "<strong>6</strong> questions" in student_client.get(url, {"range": "7"}).content.decode()


def test_each_chart_is_an_svg_image_of_the_students_numbers(student_client, history):
    for name in ("accuracy", "systems", "percentiles", "questions", "retention", "xp", "hours", "pace"):
        response = student_client.get(reverse("analytics:chart", args=[name]), {"range": "7"})
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
        svg = response.content.decode()
        assert svg.startswith("<svg")
        # Nothing to fetch: the only addresses are XML namespaces and pygal's credit in a comment.
        assert re.findall(r'(?:href|src)="(https?://[^"]+)"', svg) == []
    assert (
        "Renal" in student_client.get(reverse("analytics:chart", args=["percentiles"]), {"range": "7"}).content.decode()
    )
    assert student_client.get(reverse("analytics:chart", args=["nonsense"])).status_code == 404
