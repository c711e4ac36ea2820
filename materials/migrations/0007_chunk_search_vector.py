"""Each chunk's full-text vector stored beside it (a generated column), and seed 000's
idx_chunks_content_search on it instead of on the expression.

The coach searches one student's chunks: the planner reads them through the owner's rows and
tests each against the query. On the expression it computed to_tsvector for every chunk of the
student on every search (about 20 µs a short chunk, more for a long one: 0.2 s for 10,000
chunks, bench/retrieval.py); on the stored vector the test is a match on a value already there.
Adding the column rewrites the table once.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("materials", "0006_job_claims_and_leases")]

    operations = [
        migrations.RunSQL(
            [
                "ALTER TABLE material_chunks ADD COLUMN content_search tsvector "
                "GENERATED ALWAYS AS (to_tsvector('english', content)) STORED",
                "DROP INDEX idx_chunks_content_search",
                "CREATE INDEX idx_chunks_content_search ON material_chunks USING GIN (content_search)",
            ],
            reverse_sql=[
                "DROP INDEX idx_chunks_content_search",
                "ALTER TABLE material_chunks DROP COLUMN content_search",
                "CREATE INDEX idx_chunks_content_search ON material_chunks USING GIN (to_tsvector('english', content))",
            ],
        ),
    ]
