import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import UserBackend
from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_session_user_is_built_from_one_statement_with_every_field():
    created = factories.UserFactory(email="ada@example.com", name="Ada", xp=120, level=3, is_staff=True)
    expected = User.objects.get(pk=created.pk)

    with CaptureQueriesContext(connection) as queries:
        user = UserBackend().get_user(created.pk)

    assert len(queries) == 1
    assert {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert not user._state.adding and user._state.db == "default"
    assert user.check_password(factories.PASSWORD)


def test_an_unknown_or_inactive_user_is_nobody():
    inactive = factories.UserFactory(is_active=False)
    assert UserBackend().get_user(uuid.uuid4()) is None
    assert UserBackend().get_user(inactive.pk) is None


def test_a_deactivated_student_is_logged_out_on_the_next_request(student_client, student):
    assert student_client.get(reverse("practice:builder")).status_code == 200
    User.objects.filter(pk=student.pk).update(is_active=False)
    assert student_client.get(reverse("practice:builder")).status_code == 302


def test_an_id_that_is_no_uuid_is_nobody_and_leaves_the_transaction_usable():
    assert UserBackend().get_user(123) is None
    assert UserBackend().get_user("not-a-uuid") is None
    assert User.objects.count() >= 0
