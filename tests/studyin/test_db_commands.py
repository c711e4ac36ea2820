"""`db_health`, `reindex` and `cleanup_tokens`."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import PasswordResetToken
from tests.accounts.helpers import make_token

# The suite's flushes leave dead tuples in the shared test database: that check is not this test's.
LENIENT_DEAD = ("--max-dead-ratio", "1e9")


@pytest.mark.django_db
def test_db_health_reports_every_check_and_passes_on_a_healthy_database():
    out = io.StringIO()
    call_command("db_health", "--json", *LENIENT_DEAD, stdout=out)
    report = json.loads(out.getvalue())
    assert set(report) >= {"tables_cache_hit_percent", "indexes_cache_hit_percent", "unused_indexes",
                           "redundant_indexes", "dead_tuples", "long_queries", "connections", "partitions", "problems"}  # fmt: skip
    assert report["problems"] == []
    assert report["partitions"]["study_sessions"]["months_ahead"] >= 12
    assert report["partitions"]["audit_log"]["months_ahead"] >= 12
    assert not [r for r in report["redundant_indexes"] if not r["table"].startswith(("auth_", "users_", "django_"))]


@pytest.mark.django_db
def test_db_health_exits_non_zero_past_a_threshold():
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("db_health", "--min-months-ahead", "100", stdout=out)
    assert exited.value.code == 1
    assert "partitions only 12 months ahead" in out.getvalue() or "months ahead" in out.getvalue()


@pytest.mark.django_db
def test_db_health_flags_a_redundant_index():
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX idx_test_redundant ON user_question_attempts (user_id)")
    out = io.StringIO()
    call_command("db_health", "--json", *LENIENT_DEAD, stdout=out)
    redundant = json.loads(out.getvalue())["redundant_indexes"]
    assert {
        "table": "user_question_attempts",
        "index": "idx_test_redundant",
        "covered_by": "idx_attempts_user_question",
    } in redundant


@pytest.mark.django_db(transaction=True)
def test_reindex_rebuilds_concurrently_outside_a_transaction():
    out = io.StringIO()
    call_command("reindex", "--table", "achievements", "--dry-run", stdout=out)
    assert "would rebuild achievements_pkey" in out.getvalue()
    out = io.StringIO()
    call_command("reindex", "--table", "achievements", stdout=out)
    assert "rebuilt achievements_pkey" in out.getvalue()
    call_command("reindex", "--invalid-only", stdout=io.StringIO())  # nothing invalid: nothing done


@pytest.mark.django_db
def test_cleanup_tokens_deletes_the_dead_ones_and_dry_runs(student):
    make_token(
        PasswordResetToken, student, "old", expires_in=-datetime.timedelta(days=2), age=datetime.timedelta(days=3)
    )
    make_token(PasswordResetToken, student, "fresh")
    out = io.StringIO()
    call_command("cleanup_tokens", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["password_reset_tokens"] == 1 and PasswordResetToken.objects.exists()
    call_command("cleanup_tokens", stdout=io.StringIO())
    out = io.StringIO()
    call_command("cleanup_tokens", stdout=out)
    assert json.loads(out.getvalue())["password_reset_tokens"] == 0  # twice: nothing left to do
    assert PasswordResetToken.objects.count() == 1  # the live one stays
