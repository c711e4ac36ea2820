"""The read-replica router (studyin/routers.py) against a second database, standing in for a
replica: analytics reads go there, writes and every other read stay on the primary, and
row-level security holds there in a request."""

import datetime

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.models import PerformanceMetric
from tests import factories

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.ANALYTICS_READ_REPLICA = True
    with connections["replica"].cursor() as cursor:  # as `system` there, to copy rows in
        cursor.execute("SELECT set_config('app.role', 'system', false)")
    yield connections["replica"]


def _copy_user(user: User) -> None:
    """The user's row on the replica, as replication would bring it."""
    User.objects.using("replica").create(pk=user.pk, email=user.email, name=user.name, password=user.password)


def _metric(user, topic: str, *, using: str, day: datetime.date, attempted: int = 10):
    PerformanceMetric.objects.using(using).create(
        user_id=user.pk, metric_date=day, topic=topic, questions_attempted=attempted, accuracy_rate=0.5,
        avg_time_per_question=60, created_at=datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC),
    )  # fmt: skip


def test_analytics_reads_go_to_the_replica_and_the_rest_stays_on_the_primary(replica, student):
    day = timezone.now().date() - datetime.timedelta(days=1)
    _copy_user(student)
    _metric(student, "written on the primary", using="default", day=day)
    _metric(student, "only on the replica", using="replica", day=day)
    assert list(PerformanceMetric.objects.values_list("topic", flat=True)) == ["only on the replica"]
    assert list(PerformanceMetric.objects.using("default").values_list("topic", flat=True)) == [
        "written on the primary"
    ]
    assert User.objects.filter(pk=student.pk).exists()  # accounts: the primary
    factories.StudySessionFactory(user=student)  # a write: the primary, whatever it is
    from analytics.models import StudySession

    assert StudySession.objects.using("default").count() == 1 and StudySession.objects.count() == 0


def test_off_without_the_setting(settings, student):
    settings.ANALYTICS_READ_REPLICA = False
    _metric(student, "primary", using="default", day=timezone.now().date())
    assert list(PerformanceMetric.objects.values_list("topic", flat=True)) == ["primary"]


def test_row_level_security_holds_on_the_replica_in_a_request(replica, student, peer, student_client):
    day = timezone.now().date() - datetime.timedelta(days=1)
    _copy_user(student), _copy_user(peer)
    _metric(student, "Renal", using="replica", day=day, attempted=7)
    _metric(peer, "Cardiology", using="replica", day=day, attempted=50)
    page = student_client.get(reverse("analytics:progress"), {"range": "7"}).content.decode()
    assert "<strong>7</strong> questions" in page and "Cardiology" not in page
    with replica.cursor() as cursor:  # the request's context is cleared after it
        cursor.execute("SELECT current_setting('app.current_user_id', true), current_setting('app.role', true)")
        assert cursor.fetchone() == ("", "")
