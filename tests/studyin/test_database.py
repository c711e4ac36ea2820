import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from materials.models import MaterialChunk
from tests import factories

pytestmark = pytest.mark.django_db


def test_parameters_are_bound_on_the_server_and_repeated_statements_prepared_with_the_pool():
    connection.ensure_connection()
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.connection.prepare_threshold == (5 if settings.DB_POOL else None)
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int + 1'")
        assert cursor.fetchone() == (1 if settings.DB_POOL else 0,)


def test_a_bulk_insert_past_postgresqls_65535_parameters_is_split_into_statements():
    # A long textbook's chunks: their vectors and JSON keep Django from sending columns as arrays.
    material = factories.MaterialFactory()
    chunks = [
        MaterialChunk(material=material, user=material.user, content="c", chunk_index=i, char_start=0, char_end=1)
        for i in range(7_000)
    ]
    assert len(chunks) * len(MaterialChunk._meta.concrete_fields) > 65_535

    MaterialChunk.objects.bulk_create(chunks)

    assert MaterialChunk.objects.filter(material=material).count() == 7_000


def test_a_chunks_owner_is_its_materials_by_the_databases_rule():
    material, other = factories.MaterialFactory(), factories.UserFactory()
    with pytest.raises(IntegrityError, match="material_chunks_owner_fk"), transaction.atomic():
        MaterialChunk.objects.create(
            material=material, user=other, content="c", chunk_index=0, char_start=0, char_end=1
        )
        connection.check_constraints()  # the key is deferred to the commit: checked here instead

    chunk = factories.MaterialChunkFactory(material=material)
    assert chunk.user_id == material.user_id
