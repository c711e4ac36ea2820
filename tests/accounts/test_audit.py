"""The append-only audit log: what writes it, that it refuses changes, who reads it."""

import datetime

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts import services
from accounts.audit import audit_record, person_key
from accounts.models import AuditEvent, PasswordResetToken
from analytics.partitions import partitions_for, partitions_maintain
from questions.models import Question
from questions.services import questions_verify
from studyin.rls import ROLE_SYSTEM, rls_context, rls_set
from tests import factories
from tests.accounts.helpers import make_token

pytestmark = pytest.mark.django_db


def _events(action=None):
    with rls_context(role=ROLE_SYSTEM):
        rows = AuditEvent.objects.all()
        return list(rows.filter(action=action) if action else rows)


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"])
def test_the_log_refuses_updates_deletes_and_truncation(student, sql):
    audit_record(action="password_reset", subject=student)
    rls_set(role=ROLE_SYSTEM)
    with pytest.raises(DatabaseError, match="append-only|permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert len(_events()) == 1


def test_a_student_appends_but_cannot_read_and_nothing_names_anyone(student):
    rls_set(user_id=student.pk)
    audit_record(action="password_changed", actor=student, subject=student, details={"how": "profile"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_log")
        assert cursor.fetchone()[0] == 0  # appended, not readable by a student
    (event,) = _events()
    assert event.subject_key == event.actor_key == person_key(student.pk)
    assert str(student.pk) not in event.subject_key and student.email not in str(event.details)


def test_a_password_reset_is_logged(student):
    make_token(PasswordResetToken, student, "reset-token")
    services.password_reset_confirm(user_id=student.pk, token="reset-token", password="a-new-long-password-42")
    assert [e.subject_key for e in _events("password_reset")] == [person_key(student.pk)]


def test_staff_and_role_changes_and_admin_password_changes_are_logged(client, staff_member, student):
    client.force_login(staff_member)
    url = reverse("admin:accounts_user_change", args=[student.pk])
    page = client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None and k != "password"}
    data.update(email=student.email, name=student.name, is_active="on", is_staff="on", daily_goal_minutes=30)
    data.pop("groups", None), data.pop("user_permissions", None)
    response = client.post(url, {k: v for k, v in data.items() if not isinstance(v, (list, bool)) or v},
                           follow=False)  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = _events("staff_changed")
    assert event.actor_key == person_key(staff_member.pk) and event.subject_key == person_key(student.pk)
    assert event.details["is_staff"] is True and "is_staff" in event.details["changed"]
    password = reverse("admin:auth_user_password_change", args=[student.pk])
    response = client.post(password, {"password1": "another-long-password-7", "password2": "another-long-password-7",
                                      "usable_password": "true"})  # fmt: skip
    assert response.status_code == 302
    assert len(_events("password_changed")) == 1


def test_moderation_is_logged_with_the_staff_member(staff_member):
    question = factories.QuestionFactory(is_verified=False)
    questions_verify(staff=staff_member, questions=Question.objects.filter(pk=question.pk))
    (event,) = _events("moderation")
    assert event.actor_key == person_key(staff_member.pk)
    assert event.details == {"action": "verify", "field": "is_verified", "questions": [str(question.pk)]}


def test_the_admin_finds_a_persons_events_by_e_mail(client, staff_member, student, peer):
    audit_record(action="password_reset", subject=student)
    audit_record(action="password_reset", subject=peer)
    client.force_login(staff_member)
    page = client.get(reverse("admin:accounts_auditevent_changelist"), {"q": student.email})
    assert page.context["cl"].result_count == 1


def test_partitions_are_kept_ahead_and_never_archived_or_dropped():
    later = datetime.datetime(2031, 5, 10, tzinfo=datetime.UTC)
    with time_machine.travel(later, tick=False):
        actions = partitions_maintain(months_ahead=2, archive_older_than=1, drop_older_than=2)
    assert {"create audit_log_2031_05", "create audit_log_2031_07"} <= set(actions)
    assert not [a for a in actions if a.startswith(("archive audit_log", "drop audit_log"))]
    months = [p.month for p in partitions_for(table="audit_log")]
    assert datetime.date(2031, 7, 1) in months and min(months) < datetime.date(2031, 1, 1)
