import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from progress.models import SM2ReviewCard
from progress.scheduling import LEECH_LAPSES
from studyin.cache import user_due_reviews_key
from tests import factories
from tests.answering import answer

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 5, 1, 8, 0, tzinfo=datetime.UTC)


def test_a_leech_is_listed_and_can_be_taken_back(student_client, student):
    question = factories.QuestionFactory(is_verified=True, vignette="A 30-year-old leech of a question?")
    with time_machine.travel(T0, tick=False):
        answer(student, question)
        for _ in range(LEECH_LAPSES):
            answer(student, question)
            answer(student, question, correct=False)
        page = student_client.get(reverse("progress:reviews")).content.decode()
        assert "A 30-year-old leech of a question?" in page and f"forgotten {LEECH_LAPSES} times" in page
        card = SM2ReviewCard.objects.get(user=student)
        response = student_client.post(reverse("progress:unsuspend", args=[card.pk]), follow=True)
    assert "back in your reviews" in response.content.decode()
    card.refresh_from_db()
    assert not card.is_suspended and card.lapses == LEECH_LAPSES


def test_the_due_count_is_cached_a_minute_and_dropped_when_a_card_changes(
    student_client, student, django_capture_on_commit_callbacks
):
    question = factories.QuestionFactory(is_verified=True)
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            answer(student, question, correct=False)
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        page = student_client.get(reverse("progress:reviews")).content.decode()
        assert cache.get(user_due_reviews_key(student.pk)) == 1
        assert 'title="1 due now"' in page
        with django_capture_on_commit_callbacks(execute=True):
            answer(student, question)
        assert cache.get(user_due_reviews_key(student.pk)) is None
