"""Erasure and export of a student's data (accounts/gdpr.py, `delete_user`, `export_user`, the
profile's download and "delete my account")."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from accounts.models import AuditEvent, User
from analytics.models import StudySession
from materials import services as materials
from studyin.rls import ROLE_SYSTEM, rls_context
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(student, peer):
    """The student with a bit of everything; the peer answered a verified question of the
    student's material."""
    with rls_context(user_id=student.pk):
        material = materials.material_upload(user=student, file=ContentFile(b"# Renal\n\nNotes.\n", name="renal.md"),
                                             title="Renal notes", enqueue=False)  # fmt: skip
    factories.MaterialChunkFactory(material=material)
    factories.MaterialPageFactory(material=material)
    shared = factories.QuestionFactory(material=material, is_verified=True)
    draft = factories.QuestionFactory(material=material)  # unanswered, unverified: goes with the notes
    factories.AttemptFactory(user=student, question=shared)
    factories.AttemptFactory(user=peer, question=shared)
    factories.MessageFactory(conversation=factories.ConversationFactory(user=student), content=f"I am {student.email}")
    factories.MilestoneFactory(learning_path=factories.LearningPathFactory(user=student))
    factories.ReviewCardFactory(user=student, question=shared)
    factories.XPTransactionFactory(user=student)
    factories.UserStreakFactory(user=student)
    factories.StudySessionFactory(user=student, activity_data={"note": student.email})
    factories.PerformanceMetricFactory(user=student)
    factories.PasswordResetTokenFactory(user=student)
    return material, shared, draft


def _rows_naming(user_id, email) -> dict[str, int]:
    """Every row of every table (as `system`) with the id in a uuid column or the id or e-mail in
    a text or JSON one."""
    found = {}
    with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, a.attname, t.typname FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND t.typname IN ('uuid', 'text', 'varchar', 'jsonb')
        """)  # fmt: skip
        for table, column, kind in cursor.fetchall():
            if kind == "uuid":
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = %s', [user_id])
            else:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s OR "{column}"::text ILIKE %s',
                               [f"%{email}%", f"%{user_id}%"])  # fmt: skip
            if n := cursor.fetchone()[0]:
                found[f"{table}.{column}"] = n
    return found


def test_delete_user_erases_everything_keeps_analytics_anonymised_and_reports(
    student, peer, world, django_capture_on_commit_callbacks
):
    material, shared, draft = world
    path = material.file_path
    assert _rows_naming(student.pk, student.email)  # the check finds them before
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        call_command("delete_user", student.email.upper(), stdout=out)
    report = json.loads(out.getvalue())
    assert report["deleted"]["users"] == 1 and report["deleted"]["materials"] == 1
    assert report["deleted"]["user_question_attempts"] == 1 and report["deleted"]["chat_messages"] == 1
    assert report["anonymised"] == {"study_sessions": 1, "performance_metrics": 1}
    assert report["files"] == 1
    assert _rows_naming(student.pk, student.email) == {}
    with rls_context(role=ROLE_SYSTEM):
        session = StudySession.objects.get()
        assert session.user_id is None and session.activity_data == {}  # anonymised, personal JSON emptied
        shared.refresh_from_db()
        assert shared.material_id is None and shared.attempts.filter(user=peer).exists()  # others' history stays
        assert not type(draft).objects.filter(pk=draft.pk).exists()
        assert AuditEvent.objects.filter(action="account_deleted").count() == 1
    from django.core.files.storage import default_storage

    assert not default_storage.exists(path)
    with pytest.raises(CommandError, match="no user"):
        call_command("delete_user", student.email)  # twice: nothing left to erase


def test_a_dry_run_reports_and_keeps_everything(student, world):
    out = io.StringIO()
    call_command("delete_user", student.email, "--dry-run", stdout=out)
    report = json.loads(out.getvalue())
    assert report["dry_run"] and report["deleted"]["users"] == 1
    with rls_context(role=ROLE_SYSTEM):
        assert User.objects.filter(pk=student.pk).exists()
        assert not AuditEvent.objects.filter(action="account_deleted").exists()


def test_export_user_holds_the_students_rows_and_no_one_elses(student, peer, world, tmp_path):
    target = tmp_path / "export.json"
    call_command("export_user", student.email, "--output", str(target), stdout=io.StringIO())
    data = json.loads(target.read_text())
    assert data["profile"]["email"] == student.email and "password" not in data["profile"]
    tables = data["tables"]
    assert len(tables["materials"]) == 1 and len(tables["material_pages"]) == 1
    assert {a["user_id"] for a in tables["user_question_attempts"]} == {str(student.pk)}
    assert tables["chat_messages"][0]["content"] == f"I am {student.email}"
    assert "embedding" not in tables["material_chunks"][0] and "token_hash" not in tables["password_reset_tokens"][0]
    assert str(peer.pk) not in target.read_text()


def test_the_profile_downloads_the_export(student_client, student, world):
    response = student_client.get(reverse("accounts:export"))
    assert response["Content-Type"] == "application/json" and "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["profile"]["id"] == str(student.pk)


def test_delete_my_account_needs_the_password_then_erases_and_logs_out(student_client, student, world):
    page = student_client.post(reverse("accounts:delete"), {"password": "wrong", "confirm": "on"}).content.decode()
    assert "That is not your password." in page
    with rls_context(role=ROLE_SYSTEM):
        assert User.objects.filter(pk=student.pk).exists()
    response = student_client.post(reverse("accounts:delete"), {"password": factories.PASSWORD, "confirm": "on"})
    assert response.url == reverse("accounts:deleted")
    with rls_context(role=ROLE_SYSTEM):
        assert not User.objects.filter(pk=student.pk).exists()
    assert student_client.get(reverse("dashboard")).status_code == 302  # logged out


def test_the_admin_erases_through_the_service(client, staff_member, student, world):
    client.force_login(staff_member)
    staff_client = client
    response = staff_client.post(reverse("admin:accounts_user_changelist"),
                                 {"action": "erase_selected", "_selected_action": [str(student.pk)]}, follow=True)  # fmt: skip
    assert "Erased 1 user(s)" in response.content.decode()
    with rls_context(role=ROLE_SYSTEM):
        assert not User.objects.filter(pk=student.pk).exists()
