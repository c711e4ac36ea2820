import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django_redis import get_redis_connection

from gamification.selectors import leaderboard
from studyin.cache import leaderboard_key
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)


def _earn(user, n: int):
    for _ in range(n):
        with time_machine.travel(NOW, tick=False):
            answer(user, factories.QuestionFactory(is_verified=True, difficulty="easy"))


def test_the_leaderboard_shows_only_students_who_joined_and_survives_losing_redis(
    student, peer, outsider, django_capture_on_commit_callbacks
):
    for user in (student, peer):
        user.leaderboard_opt_in = True
        user.save()
    _earn(student, 1)  # 10 XP, and 10 for "First Steps"
    _earn(peer, 3)
    _earn(outsider, 5)  # did not join: never shown
    with time_machine.travel(NOW, tick=False):
        board = leaderboard(user=student)
        assert [(r.rank, r.name, r.xp, r.me) for r in board] == [
            (1, "Pat Peer", 40, False),
            (2, "Sam Student", 20, True),
        ]
        get_redis_connection("default").delete(cache.make_key(leaderboard_key("2026-W10")))
        assert leaderboard(user=student) == board  # rebuilt from the ledger
        with django_capture_on_commit_callbacks(execute=True):
            _earn(student, 3)  # the set exists now: each answer adds to it once committed
        assert [(r.name, r.xp) for r in leaderboard(user=student)] == [("Sam Student", 50), ("Pat Peer", 40)]


def test_a_browserless_look_at_the_dashboard_after_answers(student_client, student):
    student.exam_date = datetime.date(2026, 3, 20)
    student.save()
    _earn(student, 2)
    with time_machine.travel(NOW + datetime.timedelta(minutes=30), tick=False):
        page = student_client.get(reverse("dashboard")).content.decode()
    assert "Welcome back, Sam Student" in page
    assert "30 XP" in page and "🔥 1 day" in page and "First Steps" in page
    assert "16 days" in page and "Predicted recall of your deck on exam day" in page
    assert "2 reviews</strong> due" in page  # both learning steps are due again after 30 minutes
