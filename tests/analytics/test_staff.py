"""The admin index's activity numbers."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.selectors import staff_overview
from tests import factories
from tests.analytics.test_services import _attempt

pytestmark = pytest.mark.django_db


def test_the_admin_index_shows_activity_failures_and_queues(client, staff_member, student, peer):
    now = timezone.now()
    question = factories.QuestionFactory(is_verified=True)
    for user in (student, peer):
        _attempt(user, question, now - datetime.timedelta(minutes=5))
    _attempt(student, question, now - datetime.timedelta(minutes=4))
    factories.QuestionFactory(is_verified=False, is_flagged=True)
    material = factories.MaterialFactory(user=student, processing_status="completed", processed_at=now)
    factories.MaterialProcessingJobFactory(material=material, job_type="parse", status="completed", completed_at=now)
    factories.MaterialProcessingJobFactory(material=material, job_type="embed", status="failed",
                                           completed_at=now, error_message="boom")  # fmt: skip
    overview = staff_overview(now=now)
    today = overview["days"][-1]
    assert (today.active_students, today.answers, today.materials_processed) == (2, 3, 1)
    assert (today.jobs_done, today.jobs_failed, today.failure_rate) == (1, 1, 50.0)
    assert overview["queues"]["flagged"] == 1 and overview["queues"]["unverified"] >= 1
    client.force_login(staff_member)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Activity" in page and 'src="data:image/svg+xml;base64,' in page and "50.0% (1 of 2)" in page
