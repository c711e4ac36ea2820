"""Every test talks to the real PostgreSQL and Redis (embedded by default).

Tests run with the `system` row-level security context, as an operator command would; requests
made through the test client run with their own (the user's) context, exactly as in production,
and the client puts the system context back afterwards.
"""

import pytest
from django.db import connection
from django.test import Client
from django_redis import get_redis_connection

from studyin.rls import ROLE_SYSTEM, rls_set
from tests import factories


def _system_context() -> None:
    if connection.in_atomic_block:
        rls_set(role=ROLE_SYSTEM)


class SystemContextClient(Client):
    def request(self, **request):
        try:
            return super().request(**request)
        finally:
            _system_context()


@pytest.fixture(autouse=True)
def _rls_system_context(request):
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
        _system_context()
    yield


@pytest.fixture(autouse=True)
def _achievements_seeded(request):
    """The eight achievements seed 000 ships (a data migration): a transactional test's flush
    empties the table for the tests after it, so they are put back."""
    if request.node.get_closest_marker("django_db"):
        import importlib

        from django.apps import apps

        from gamification.models import Achievement

        request.getfixturevalue("_django_db_helper")
        if not Achievement.objects.exists():
            importlib.import_module("gamification.migrations.0003_seed_achievements").load(apps, None)
    yield


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty Redis (database 1, see settings_test)."""
    get_redis_connection("default").flushdb()
    yield


@pytest.fixture
def client():
    return SystemContextClient()


# The cast for permission tests.
@pytest.fixture
def student(db):
    return factories.UserFactory(name="Sam Student", email="sam@example.com")


@pytest.fixture
def peer(db):
    return factories.UserFactory(name="Pat Peer", email="pat@example.com")


@pytest.fixture
def outsider(db):
    return factories.UserFactory(name="Olly Outsider", email="olly@example.com")


@pytest.fixture
def staff_member(db):
    return factories.UserFactory(name="Sid Staff", email="sid@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client
