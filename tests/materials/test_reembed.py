from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from materials.management.commands import reembed
from materials.models import MaterialChunk
from medtext.embeddings import LocalEmbedder, TransientEmbeddingError
from tests.factories import MaterialChunkFactory, MaterialFactory
from tests.fake_openai import FakeOpenAI

pytestmark = pytest.mark.django_db

CONTENTS = [
    "Beta blockers reduce mortality after myocardial infarction.",
    "The loop of Henle concentrates urine.",
    "Insulin moves glucose into muscle and fat cells.",
    "Warfarin antagonises vitamin K.",
    "Sickle cell disease is a point mutation in beta globin.",
]


class _Rollback(Exception):
    pass


@pytest.fixture
def chunks():
    # Two students' materials: the command re-embeds every user's chunks.
    materials = [MaterialFactory(), MaterialFactory()]
    return [MaterialChunkFactory(material=materials[i % 2], content=c) for i, c in enumerate(CONTENTS)]


@pytest.fixture
def openai_8(settings):
    with FakeOpenAI(dimensions=8) as server:
        settings.EMBEDDING_BACKEND = "openai"
        settings.EMBEDDING_API_BASE = server.base_url
        settings.EMBEDDING_API_KEY = server.api_key
        settings.EMBEDDING_DIMENSIONS = 8
        yield server


def _reembed(*args: str) -> str:
    out = StringIO()
    call_command("reembed", *args, stdout=out)
    return out.getvalue()


def _column_type() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'material_chunks'::regclass AND attname = 'embedding'"
        )
        return cursor.fetchone()[0]


def _index_definition() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_chunks_embedding'")
        row = cursor.fetchone()
    return row[0] if row else None


def _embeddings() -> dict[str, np.ndarray | None]:
    return dict(MaterialChunk.objects.values_list("content", "embedding"))


def test_it_embeds_every_users_chunks_with_the_local_model(chunks):
    assert all(v is None for v in _embeddings().values())

    output = _reembed()

    stored = _embeddings()
    expected = LocalEmbedder().embed(CONTENTS)
    assert set(stored) == set(CONTENTS)
    for content, vector in zip(CONTENTS, expected, strict=True):
        np.testing.assert_allclose(stored[content], vector, atol=1e-6)
    assert _column_type() == "vector(384)"
    assert "re-embedded 5 chunks" in output
    assert "chunks/s" in output
    assert "ALTER TABLE" not in output  # the column already had the right dimension


def test_it_is_safe_to_run_twice(chunks):
    _reembed()
    first = _embeddings()

    _reembed()

    second = _embeddings()
    for content in CONTENTS:
        np.testing.assert_array_equal(first[content], second[content])


def test_it_works_in_batches_and_resumes_after_a_given_chunk(chunks):
    output = _reembed("--batch", "2")

    progress = [line for line in output.splitlines() if "last id" in line]
    assert [line.split(" chunks")[0] for line in progress] == ["2/5", "4/5", "5/5"]

    ordered = sorted(chunks, key=lambda c: c.pk)
    MaterialChunk.objects.update(embedding=None)
    resumed = _reembed("--after", str(ordered[2].pk))

    assert "re-embedded 2 chunks" in resumed
    stored = {c.pk: c.embedding for c in MaterialChunk.objects.all()}
    assert [stored[c.pk] is None for c in ordered] == [True, True, True, False, False]


def test_switching_to_another_backend_and_dimension_and_back(chunks, openai_8, settings):
    index_before = _index_definition()
    assert "hnsw" in index_before and "vector_cosine_ops" in index_before and "m='16'" in index_before

    output = _reembed()

    assert _column_type() == "vector(8)"
    assert _index_definition() == index_before
    assert "vector(8)" in output and "re-embedded 5 chunks" in output
    stored = _embeddings()
    for content in CONTENTS:
        np.testing.assert_allclose(stored[content], openai_8.vector(content), atol=1e-6)

    settings.EMBEDDING_BACKEND = "local"
    settings.EMBEDDING_DIMENSIONS = 384
    _reembed()

    assert _column_type() == "vector(384)"
    assert _index_definition() == index_before
    stored = _embeddings()
    for content, vector in zip(CONTENTS, LocalEmbedder().embed(CONTENTS), strict=True):
        np.testing.assert_allclose(stored[content], vector, atol=1e-6)


def test_the_resize_is_undone_with_its_transaction(chunks, openai_8):
    # Tests rely on this: each test's transaction takes the ALTER TABLE away with it.
    index_before = _index_definition()
    with pytest.raises(_Rollback), transaction.atomic():
        _reembed()
        assert _column_type() == "vector(8)"
        raise _Rollback

    assert _column_type() == "vector(384)"
    assert _index_definition() == index_before


def test_dry_run_changes_nothing(chunks, openai_8):
    output = _reembed("--dry-run")

    assert _column_type() == "vector(384)"
    assert all(v is None for v in _embeddings().values())
    assert openai_8.requests == []
    assert "would change material_chunks.embedding to vector(8)" in output
    assert 'ALTER TABLE "material_chunks" ALTER COLUMN embedding TYPE vector(8) USING NULL' in output
    assert "would re-embed 5 chunks" in output


def test_an_unreachable_backend_stops_it_before_the_column_is_emptied(chunks, openai_8):
    openai_8.fail_next(503)

    with pytest.raises(CommandError, match="503"):
        _reembed()

    assert _column_type() == "vector(384)"


class _FailsOnThirdCall:
    """The backend answers the probe and the first batch, then times out."""

    name = "test:flaky"
    dimensions = 384

    def __init__(self):
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        if self.calls == 3:
            raise TransientEmbeddingError("simulated timeout")
        return [[1.0] + [0.0] * 383 for _ in texts]


def test_a_failure_half_way_says_how_to_resume(chunks, monkeypatch):
    monkeypatch.setattr(reembed, "get_embedder", _FailsOnThirdCall)
    last_done = sorted(chunks, key=lambda c: c.pk)[1].pk

    with pytest.raises(CommandError) as raised:
        _reembed("--batch", "2")

    assert "stopped after 2 chunks: simulated timeout" in str(raised.value)
    assert f"rerun with --after {last_done} to resume" in str(raised.value)
    assert sum(v is not None for v in _embeddings().values()) == 2  # the first batch is kept
