"""Materials belong to their user; chunks, jobs and tags follow their material."""

from django.db import migrations

from studyin.rls_sql import child_policies, drop_policies, owner_policies

CHILDREN = ["material_chunks", "material_processing_jobs", "material_tags"]


class Migration(migrations.Migration):
    dependencies = [("materials", "0002_fulltext_indexes"), ("accounts", "0002_row_level_security")]

    operations = [
        migrations.RunSQL(owner_policies("materials"), reverse_sql=drop_policies("materials")),
        *[
            migrations.RunSQL(child_policies(t, "materials", "material_id"), reverse_sql=drop_policies(t))
            for t in CHILDREN
        ],
    ]
