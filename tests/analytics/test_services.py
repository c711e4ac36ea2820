"""Study sessions at the end of a block, the nightly tables (idempotent, by the student's own
day), the backfill, and the statistics view."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from analytics import services
from analytics.models import PerformanceMetric, RetentionAnalytic, StudySession, UserStats
from gamification.selectors import block_rewards
from practice import services as practice
from questions.models import UserQuestionAttempt
from studyin.rls import ROLE_SYSTEM, rls_context, rls_set
from tests import factories

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=datetime.UTC)


def _attempt(user, question, at: datetime.datetime, **fields):
    """An attempt answered at `at` (the factory's answered_at is the insert's own time)."""
    attempt = factories.AttemptFactory(user=user, question=question, **fields)
    UserQuestionAttempt.objects.filter(pk=attempt.pk).update(answered_at=at)
    return attempt


@pytest.fixture
def day():
    return timezone.now().date() - datetime.timedelta(days=3)  # built relative to the clock the code reads


def test_ending_a_block_writes_its_study_session_in_the_same_transaction(student):
    questions = [factories.QuestionFactory(is_verified=True, topic=t) for t in ("Renal", "Renal", "Cardiology")]
    block = practice.block_start_from_questions(user=student, question_ids=[q.pk for q in questions])
    practice.answer_submit(user=student, session_id=block.pk, position=1, selected_index=questions[0].correct_index,
                           time_taken_seconds=50)  # fmt: skip
    practice.answer_submit(user=student, session_id=block.pk, position=2, selected_index=1, time_taken_seconds=70)
    assert practice.session_finish(session=block)
    assert not practice.session_finish(session=block)  # ended once, recorded once
    (row,) = StudySession.objects.filter(user=student)
    assert (row.session_type, row.questions_answered) == ("tutor", 2)
    assert row.xp_earned == block_rewards(user=student, session_id=block.pk).xp >= 15 + 2  # right medium, wrong
    assert row.activity_data["correct"] == 1 and row.activity_data["questions"] == 3
    assert row.activity_data["topics"] == ["Cardiology", "Renal"]
    assert row.ended_at >= row.started_at


def test_the_nightly_tables_are_right_and_a_second_run_replaces(student, peer, day):
    renal = factories.QuestionFactory(is_verified=True, topic="Renal", organ_system="renal")
    cardio = factories.QuestionFactory(is_verified=True, topic="Cardiology")  # on aspirin: cardiovascular
    unclassified = factories.QuestionFactory(is_verified=True, topic="Cardiology", organ_system=None)
    _attempt(student, unclassified, _at(day, 12), is_correct=False, time_taken_seconds=60)
    _attempt(student, renal, _at(day - datetime.timedelta(days=5), 9), is_correct=True, time_taken_seconds=40)
    _attempt(student, renal, _at(day, 9), is_correct=False, time_taken_seconds=80)
    _attempt(student, cardio, _at(day, 10), is_correct=True, time_taken_seconds=30)
    _attempt(student, cardio, _at(day, 11), is_correct=True, time_taken_seconds=90)
    _attempt(peer, cardio, _at(day + datetime.timedelta(days=1), 9), is_correct=True)
    factories.XPTransactionFactory(user=student, amount=15, source="question_answered",
                                   metadata={"question": str(cardio.pk)}, created_at=_at(day, 10))  # fmt: skip
    with rls_context(role=ROLE_SYSTEM):
        first = services.day_metrics_write(day=day)
        again = services.day_metrics_write(day=day)
    assert first == again == {"performance_metrics": 2, "retention_analytics": 1}
    rows = {m.topic: m for m in PerformanceMetric.objects.filter(metric_date=day)}
    assert set(rows) == {"Renal", "Cardiology"} and {m.user_id for m in rows.values()} == {student.pk}
    assert (rows["Renal"].questions_attempted, rows["Renal"].accuracy_rate, rows["Renal"].avg_time_per_question) == (
        1,
        0.0,
        80.0,
    )
    assert (rows["Cardiology"].questions_attempted, rows["Cardiology"].accuracy_rate) == (3, pytest.approx(2 / 3))
    assert rows["Cardiology"].avg_time_per_question == 60.0 and rows["Cardiology"].xp_earned == 15
    assert rows["Cardiology"].detailed_metrics["reviews"] == 1  # the second answer to the same question
    # By organ system within the topic; a question the vocabulary could not place counts for none.
    assert rows["Cardiology"].detailed_metrics["organ_systems"] == {"cardiovascular": [2, 2]}
    assert rows["Renal"].detailed_metrics["organ_systems"] == {"renal": [1, 0]}
    (retention,) = RetentionAnalytic.objects.filter(retention_date=day)
    assert (retention.cards_reviewed, retention.cards_correct, retention.retention_rate) == (2, 1, 0.5)
    assert retention.topic_breakdown == {
        "Renal": {"reviewed": 1, "recalled": 0},
        "Cardiology": {"reviewed": 1, "recalled": 1},
    }


def test_a_students_day_is_their_own_time_zone(student, day):
    student.time_zone = "America/New_York"
    student.save(update_fields=["time_zone"])
    question = factories.QuestionFactory(is_verified=True)
    late = _at(day + datetime.timedelta(days=1), 3, 30)  # 22:30 or 23:30 the evening before, in New York
    _attempt(student, question, late)
    with rls_context(role=ROLE_SYSTEM):
        services.day_metrics_write(day=day)
        services.day_metrics_write(day=day + datetime.timedelta(days=1))
    assert list(PerformanceMetric.objects.values_list("metric_date", flat=True)) == [day]


def test_the_backfill_fills_past_days_safely_twice_and_dry_runs(student):
    question = factories.QuestionFactory(is_verified=True)
    today = timezone.now().date()
    for back in (1, 2, 4):
        _attempt(student, question, _at(today - datetime.timedelta(days=back), 12))
    out = io.StringIO()
    call_command("analytics_backfill", "--days", "5", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["performance_metrics"] == 3 and not PerformanceMetric.objects.exists()
    for _ in range(2):
        out = io.StringIO()
        call_command("analytics_backfill", "--days", "5", stdout=out)
        report = json.loads(out.getvalue())
        assert (report["days"], report["performance_metrics"], report["retention_analytics"]) == (5, 3, 2)
    assert PerformanceMetric.objects.count() == 3 and RetentionAnalytic.objects.count() == 2


def test_the_statistics_view_is_refreshed_and_shows_a_student_only_their_row(student, peer):
    question = factories.QuestionFactory(is_verified=True)
    factories.AttemptFactory(user=student, question=question, is_correct=True)
    factories.AttemptFactory(user=student, question=question, is_correct=False)
    factories.MaterialFactory(user=student)
    with rls_context(role=ROLE_SYSTEM):
        services.user_stats_refresh()
        services.user_stats_refresh()  # concurrently, again: the unique index allows it
        assert UserStats.objects.count() >= 2
    rls_set(user_id=student.pk)
    (mine,) = UserStats.objects.all()
    assert (mine.user_id, mine.total_questions_answered, mine.total_correct, mine.materials_uploaded) == (
        student.pk,
        2,
        1,
        1,
    )
    assert mine.overall_accuracy == 0.5
    with connection.cursor() as cursor:  # and by hand, without the filter the code adds
        cursor.execute("SELECT user_id FROM user_stats")
        assert [r[0] for r in cursor.fetchall()] == [student.pk]


def test_the_dashboard_reads_the_all_time_numbers_from_the_statistics_view(student, student_client):
    question = factories.QuestionFactory(is_verified=True)
    factories.AttemptFactory(user=student, question=question, is_correct=True)
    factories.AttemptFactory(user=student, question=question, is_correct=False)
    with rls_context(role=ROLE_SYSTEM):
        services.user_stats_refresh()
    page = student_client.get("/dashboard/").content.decode()
    assert "All time: 2 questions answered, 50% correct, 0 materials." in page
