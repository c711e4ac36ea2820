"""The chunks' HNSW index rebuilt with ef_construction 128 (seed 000's 64).

Measured by bench/retrieval.py at a million chunks (200 queries of the largest student, 200,000
chunks, the same load): recall@5 of the vector search against exact search 0.924 at ef_search
400 with 64, 0.982 with 128 at the same latency (p95 14.8 against 15.6 ms); the graph, not the
search's beam, was what lost the student's nearest chunks (ef_search 800 on the old graph: 0.935).
The build takes twice as long (185 s at a million chunks with maintenance_work_mem 3 GB).
On a large table, give this migration memory: the build slows down once its graph outgrows
maintenance_work_mem (`PGOPTIONS='-c maintenance_work_mem=2GB' python manage.py migrate`).
"""

import pgvector.django.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("materials", "0008_chunk_owner"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="materialchunk", name="idx_chunks_embedding"),
        migrations.AddIndex(
            model_name="materialchunk",
            index=pgvector.django.indexes.HnswIndex(
                ef_construction=128,
                fields=["embedding"],
                m=16,
                name="idx_chunks_embedding",
                opclasses=["vector_cosine_ops"],
            ),
        ),
    ]
