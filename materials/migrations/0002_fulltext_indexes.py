"""Full-text indexes of seed 000, as its SQL has them (Django's SearchVector would index a
different expression than the one the search queries use)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("materials", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX idx_materials_search ON materials USING GIN "
            "(to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, '')))",
            reverse_sql="DROP INDEX idx_materials_search",
        ),
        migrations.RunSQL(
            "CREATE INDEX idx_chunks_content_search ON material_chunks USING GIN (to_tsvector('english', content))",
            reverse_sql="DROP INDEX idx_chunks_content_search",
        ),
    ]
