"""Pages as parsed, one job row per stage, one chunk per position.

The two new unique constraints start with material_id, so the seed indexes idx_chunks_material_id
and idx_jobs_material_id become redundant prefixes and are dropped (DESIGN.md item 5).
"""

import django.contrib.postgres.functions
import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("materials", "0003_row_level_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="MaterialPage",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        db_default=django.contrib.postgres.functions.RandomUUID(),
                        default=uuid.uuid4,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("page_number", models.IntegerField()),
                ("heading", models.CharField(blank=True, default="", max_length=500)),
                ("text", models.TextField()),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        default=django.utils.timezone.now,
                        editable=False,
                    ),
                ),
            ],
            options={
                "db_table": "material_pages",
                "ordering": ["page_number"],
            },
        ),
        migrations.RemoveIndex(
            model_name="materialchunk",
            name="idx_chunks_material_id",
        ),
        migrations.RemoveIndex(
            model_name="materialprocessingjob",
            name="idx_jobs_material_id",
        ),
        migrations.AddField(
            model_name="materialprocessingjob",
            name="attempts",
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddConstraint(
            model_name="materialchunk",
            constraint=models.UniqueConstraint(fields=("material", "chunk_index"), name="unique_material_chunk"),
        ),
        migrations.AddConstraint(
            model_name="materialprocessingjob",
            constraint=models.UniqueConstraint(fields=("material", "job_type"), name="unique_material_job"),
        ),
        migrations.AddField(
            model_name="materialpage",
            name="material",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pages",
                to="materials.material",
            ),
        ),
        migrations.AddConstraint(
            model_name="materialpage",
            constraint=models.UniqueConstraint(fields=("material", "page_number"), name="unique_material_page"),
        ),
        migrations.AddConstraint(
            model_name="materialpage",
            constraint=models.CheckConstraint(condition=models.Q(("page_number__gte", 1)), name="positive_page_number"),
        ),
    ]
