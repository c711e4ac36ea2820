"""Each chunk carries its material's owner (DESIGN.md, per-student vector search).

The coach's search filtered a student's chunks by their material ids (`material_id = ANY(...)`,
one comparison per material for every candidate of the index scan and every full-text match) and
row-level security looked up each chunk's material. With `user_id` on the chunk both are one
comparison. (material_id, user_id) references materials (id, user_id), so a chunk's owner is its
material's by the database's rule, not by the code's care; ON UPDATE CASCADE would follow an
owner change, though none is made.

The owners of the chunks there are are copied from their materials a hundred materials at a
time, then the column becomes NOT NULL, and the full-text index takes the owner as its second
key (LEXICAL_INDEX). The chunks' policy becomes the owner policy, which the
key makes the same rule as the material's, in the form that reads the settings once per statement
rather than once per row (a third of a search over ten thousand chunks).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from studyin.rls_sql import child_policies, drop_policies, owner_policies_once

BATCH = 100  # materials per UPDATE (up to some ten thousand chunks)

OWNER_KEY = (
    "ALTER TABLE material_chunks ADD CONSTRAINT material_chunks_owner_fk FOREIGN KEY (material_id, user_id) "
    "REFERENCES materials (id, user_id) ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED"
)

# The full-text index keyed by owner too, so a student's matches are found inside the index: with
# the owner's rows taken from idx_chunks_user_id and AND-ed with the matches, a student of 200,000
# chunks paid 10 ms for the bitmap of their rows on every search. GIN has no opclass for a plain
# uuid without btree_gin (not in every server), but one for arrays: ARRAY[user_id] @> ARRAY[id].
LEXICAL_INDEX = [
    "DROP INDEX idx_chunks_content_search",
    "CREATE INDEX idx_chunks_content_search ON material_chunks USING GIN (content_search, (ARRAY[user_id]))",
]
LEXICAL_INDEX_BEFORE = [
    "DROP INDEX idx_chunks_content_search",
    "CREATE INDEX idx_chunks_content_search ON material_chunks USING GIN (content_search)",
]


def owners_copy(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.role', 'system', true)")  # every student's chunks
        after = None
        while True:
            cursor.execute(
                "SELECT id FROM materials WHERE %s::uuid IS NULL OR id > %s ORDER BY id LIMIT %s", [after, after, BATCH]
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            cursor.execute(
                "UPDATE material_chunks c SET user_id = m.user_id FROM materials m "
                "WHERE m.id = c.material_id AND c.material_id = ANY(%s) AND c.user_id IS NULL",
                [ids],
            )
            after = ids[-1]
        # The user_id key's deferred checks now, so the table can be altered after.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("materials", "0007_chunk_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="materialchunk",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(owners_copy, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="materialchunk",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="materialchunk",
            index=models.Index(fields=["user"], name="idx_chunks_user_id"),
        ),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.UniqueConstraint(fields=("id", "user"), name="unique_material_owner"),
        ),
        migrations.RunSQL(
            OWNER_KEY, reverse_sql="ALTER TABLE material_chunks DROP CONSTRAINT material_chunks_owner_fk"
        ),
        migrations.RunSQL(LEXICAL_INDEX, reverse_sql=LEXICAL_INDEX_BEFORE),
        migrations.RunSQL(
            drop_policies("material_chunks") + owner_policies_once("material_chunks"),
            reverse_sql=drop_policies("material_chunks")
            + child_policies("material_chunks", "materials", "material_id"),
        ),
    ]
