"""Pages follow their material, like chunks, jobs and tags."""

from django.db import migrations

from studyin.rls_sql import child_policies, drop_policies


class Migration(migrations.Migration):
    dependencies = [("materials", "0004_pages_and_one_job_per_stage")]

    operations = [
        migrations.RunSQL(
            child_policies("material_pages", "materials", "material_id"), reverse_sql=drop_policies("material_pages")
        ),
    ]
