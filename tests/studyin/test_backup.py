"""`backup` and `restore`: a round trip through pg_dump and pg_restore keeps every row."""

import io
from urllib.parse import urlsplit

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.audit import audit_record
from studyin.rls import rls_context
from studyin.scratchdb import database_url, scratch_database
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1
"""


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, options="-c app.role=system") as conn:
        tables = [r[0] for r in conn.execute(COUNTS)]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_a_backup_restores_into_an_empty_database_with_every_row(tmp_path, settings):
    student = factories.UserFactory()
    with rls_context(user_id=student.pk):
        audit_record(action="password_reset", subject=student)
    question = factories.QuestionFactory(is_verified=True)
    factories.AttemptFactory(user=student, question=question)
    factories.MaterialChunkFactory(material__user=student, embedding=[0.1] * 384)
    factories.StudySessionFactory(user=student)
    dump = tmp_path / "studyin.dump"
    out = io.StringIO()
    call_command("backup", str(dump), stdout=out)
    assert "wrote" in out.getvalue() and dump.stat().st_size > 0
    before = _counts(database_url(settings.DATABASES["default"]["NAME"]))
    assert before["users"] >= 1 and before["audit_log"] == 1 and before["material_chunks"] == 1
    with scratch_database("studyin_restore") as url:
        name = urlsplit(url).path.lstrip("/")
        dry = io.StringIO()
        call_command("restore", str(dump), "--database", name, "--dry-run", stdout=dry)
        assert "would restore" in dry.getvalue() and _counts(url) == {}
        call_command("restore", str(dump), "--database", name, "--noinput", stdout=io.StringIO())
        assert _counts(url) == before
        call_command("restore", str(dump), "--database", name, "--noinput", stdout=io.StringIO())  # twice: the same
        assert _counts(url) == before
        with psycopg.connect(url, options="-c app.role=system") as conn:  # the vectors came back as vectors
            assert conn.execute("SELECT embedding <=> embedding FROM material_chunks").fetchone()[0] == 0


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(junk), "--noinput")
    with pytest.raises(CommandError, match="no such backup"):
        call_command("restore", str(tmp_path / "missing.dump"), "--noinput")
