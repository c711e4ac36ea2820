"""Row-level security, proved with raw SQL on every user-owned table.

Rows for two students are built in the system context; then, as student A, no SELECT, UPDATE or
DELETE touches student B's rows, and with no user set nothing is visible at all.
"""

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from materials.models import Material
from studyin.rls import ROLE_STAFF, ROLE_SYSTEM, rls_context, rls_set
from tests import factories as f

# table -> how to build one row owned by `user`
OWNED = {
    "materials": lambda u: f.MaterialFactory(user=u),
    "material_chunks": lambda u: f.MaterialChunkFactory(material__user=u),
    "material_pages": lambda u: f.MaterialPageFactory(material__user=u),
    "material_processing_jobs": lambda u: f.MaterialProcessingJobFactory(material__user=u),
    "material_tags": lambda u: f.MaterialTagFactory(material__user=u),
    "user_question_attempts": lambda u: f.AttemptFactory(user=u),
    "question_flags": lambda u: f.QuestionFlagFactory(user=u),
    "practice_sessions": lambda u: f.PracticeSessionFactory(user=u),
    "practice_session_questions": lambda u: f.PracticeSessionQuestionFactory(session__user=u),
    "chat_conversations": lambda u: f.ConversationFactory(user=u),
    "chat_messages": lambda u: f.MessageFactory(conversation__user=u),
    "learning_paths": lambda u: f.LearningPathFactory(user=u),
    "learning_path_milestones": lambda u: f.MilestoneFactory(learning_path__user=u),
    "user_progress": lambda u: f.UserProgressFactory(user=u),
    "mastery_levels": lambda u: f.MasteryLevelFactory(user=u),
    "sm2_review_cards": lambda u: f.ReviewCardFactory(user=u),
    "user_achievements": lambda u: f.UserAchievementFactory(user=u),
    "xp_transactions": lambda u: f.XPTransactionFactory(user=u),
    "user_streaks": lambda u: f.UserStreakFactory(user=u),
    "study_sessions": lambda u: f.StudySessionFactory(user=u),
    "performance_metrics": lambda u: f.PerformanceMetricFactory(user=u),
    "retention_analytics": lambda u: f.RetentionAnalyticFactory(user=u),
    "email_verification_tokens": lambda u: f.EmailVerificationTokenFactory(user=u),
    "password_reset_tokens": lambda u: f.PasswordResetTokenFactory(user=u),
    "refresh_tokens": lambda u: f.RefreshTokenFactory(user=u),
}


def _sql(sql: str, params=()) -> tuple[int, list]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount, (cursor.fetchall() if cursor.description else [])


@pytest.fixture
def two_students(student, peer):
    return student, peer


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(OWNED))
def test_a_student_never_reads_updates_or_deletes_another_students_rows(table, two_students):
    a, b = two_students
    mine, theirs = OWNED[table](a), OWNED[table](b)

    rls_set(user_id=a.pk)
    assert _sql(f"SELECT id FROM {table}")[1] == [(mine.id,)]
    assert _sql(f"SELECT id FROM {table} WHERE id = %s", [theirs.id])[1] == []
    assert _sql(f"UPDATE {table} SET id = id WHERE id = %s", [theirs.id])[0] == 0
    assert _sql(f"DELETE FROM {table} WHERE id = %s", [theirs.id])[0] == 0
    assert _sql(f"UPDATE {table} SET id = id")[0] == 1  # only A's own row

    rls_set(user_id=None)
    assert _sql(f"SELECT count(*) FROM {table}")[1] == [(0,)]
    assert _sql(f"DELETE FROM {table}")[0] == 0

    rls_set(role=ROLE_SYSTEM)
    assert _sql(f"SELECT count(*) FROM {table} WHERE id IN (%s, %s)", [mine.id, theirs.id])[1] == [(2,)]


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(OWNED))
def test_every_user_owned_table_forces_row_level_security(table):
    assert _sql("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table])[1] == [
        (True, True)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table", ["questions", "question_options", "question_explanations", "question_moderation_events"]
)
def test_shared_question_tables_force_row_level_security_too(table):
    # Their rule is visibility, not ownership: tests/practice/test_services.py checks it.
    assert _sql("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table])[1] == [
        (True, True)
    ]


@pytest.mark.django_db
def test_a_partition_named_directly_is_guarded_too(two_students):
    a, b = two_students
    mine = f.StudySessionFactory(user=a)
    f.StudySessionFactory(user=b)
    partition = f"study_sessions_{mine.created_at:%Y_%m}"
    rls_set(user_id=a.pk)
    assert _sql(f"SELECT id FROM {partition}")[1] == [(mine.id,)]
    rls_set(user_id=None)
    assert _sql(f"SELECT count(*) FROM {partition}")[1] == [(0,)]


@pytest.mark.django_db
def test_the_chunks_policy_reads_the_student_once_per_statement(two_students):
    # The coach's search reads up to a large student's every chunk: the settings behind the
    # policy are an InitPlan (read once), not a function call in every row's filter.
    rls_set(user_id=two_students[0].pk)
    plan = "\n".join(row[0] for row in _sql("EXPLAIN SELECT id FROM material_chunks")[1])
    (row_filter,) = [line for line in plan.splitlines() if "Filter:" in line]
    assert "studyin_" not in row_filter, plan  # no call per row
    assert "InitPlan 1\n" in plan and "InitPlan 2\n" in plan, plan  # the role and the student, once


@pytest.mark.django_db
def test_a_student_cannot_insert_rows_for_someone_else(two_students):
    a, b = two_students
    material = f.MaterialFactory(user=b)
    rls_set(user_id=a.pk)
    for sql, params in [
        (
            "INSERT INTO materials (user_id, filename, file_path, file_size, file_type, title, tags) "
            "VALUES (%s, 'x.pdf', 'x.pdf', 1, 'application/pdf', 'x', '[]')",
            [b.pk],
        ),
        ("INSERT INTO material_tags (material_id, tag) VALUES (%s, 'stolen')", [material.pk]),
        (
            "INSERT INTO xp_transactions (user_id, amount, source, metadata) VALUES (%s, 1000, 'streak_bonus', '{}')",
            [b.pk],
        ),
    ]:
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            _sql(sql, params)


@pytest.mark.django_db
def test_staff_and_system_roles_see_everyones_rows(two_students):
    a, b = two_students
    f.MaterialFactory(user=a), f.MaterialFactory(user=b)
    for role in (ROLE_STAFF, ROLE_SYSTEM):
        with rls_context(role=role):
            assert _sql("SELECT count(*) FROM materials")[1] == [(2,)]


@pytest.mark.django_db
def test_rls_context_restores_the_outer_context(two_students):
    a, _ = two_students
    f.MaterialFactory(user=a)
    rls_set(user_id=None)
    with rls_context(user_id=a.pk):
        assert _sql("SELECT count(*) FROM materials")[1] == [(1,)]
    assert _sql("SELECT count(*) FROM materials")[1] == [(0,)]


@pytest.mark.django_db
def test_the_app_role_is_not_a_superuser():
    # A superuser (or a role with BYPASSRLS) would ignore every policy above.
    assert _sql("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[1] == [(False, False)]


@pytest.mark.django_db
def test_requests_see_only_the_logged_in_students_rows(student_client, student, peer):
    f.MaterialFactory(user=student, title="Mine")
    f.MaterialFactory(user=peer, title="Theirs")
    seen = {}

    def capture(request):
        seen["titles"] = list(Material.objects.values_list("title", flat=True))
        return HttpResponse("ok")

    urlpatterns = [path("probe", capture)]
    with override_settings(ROOT_URLCONF=type("urls", (), {"urlpatterns": urlpatterns})):
        assert student_client.get("/probe").status_code == 200
    assert seen["titles"] == ["Mine"]


@pytest.mark.django_db
def test_deleting_a_user_keeps_their_analytics_anonymised(student):
    session = f.StudySessionFactory(user=student)
    metric = f.PerformanceMetricFactory(user=student)
    retention = f.RetentionAnalyticFactory(user=student)
    material = f.MaterialFactory(user=student)
    student.delete()

    assert _sql("SELECT count(*) FROM materials WHERE id = %s", [material.id])[1] == [(0,)]
    for table, column, row in [
        ("study_sessions", "activity_data", session),
        ("performance_metrics", "detailed_metrics", metric),
        ("retention_analytics", "topic_breakdown", retention),
    ]:
        assert _sql(f"SELECT user_id, {column} FROM {table} WHERE id = %s", [row.id])[1] == [(None, "{}")]
