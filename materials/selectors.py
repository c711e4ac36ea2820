"""Reads for materials. Every query runs under the request's row-level security context, so a
student only ever sees their own materials and chunks; the explicit user filters say so too."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from pgvector.django import CosineDistance

from accounts.models import User
from materials.models import Material, MaterialChunk
from materials.services import STAGES
from medtext.embeddings import get_embedder

# The expression of idx_materials_search, so the planner can use the index.
MATERIAL_DOCUMENT = "to_tsvector('english', coalesce(title, '') || ' ' || coalesce(description, ''))"


def material_get_for_user(*, user: User, material_id) -> Material:
    return get_object_or_404(Material, pk=material_id, user=user)


def materials_for(*, user: User, query: str = "") -> QuerySet[Material]:
    """The student's library, newest first; `query` matches title and description (full text,
    stemmed: "arrhythmias" finds "arrhythmia"), the topic, or a tag."""
    materials = Material.objects.filter(user=user).order_by("-created_at")
    if query:
        full_text = RawSQL(
            f"SELECT id FROM materials WHERE {MATERIAL_DOCUMENT} @@ websearch_to_tsquery('english', %s)", [query]
        )
        materials = materials.filter(
            Q(id__in=full_text) | Q(title__icontains=query) | Q(topic__iexact=query) | Q(tags__icontains=query)
        )
    return materials


@dataclass(frozen=True)
class Passage:
    chunk: MaterialChunk
    similarity: float


def passages_search(*, user: User, query: str, limit: int = 8) -> list[Passage]:
    """Semantic search over the student's chunks (cosine distance on the HNSW index): the
    `limit` nearest passages whose cosine similarity reaches SEARCH_MIN_SIMILARITY. Every query
    has nearest passages, even "xyzzy"; below the threshold they are not about it, and the
    student is told that nothing matches rather than shown them."""
    if not query.strip():
        return []
    vector = get_embedder().embed([query])[0]
    with connection.cursor() as cursor:
        # Keep scanning the index until `limit` rows pass the owner filter (pgvector >= 0.8);
        # without it a student with few chunks among many could get fewer results than exist.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    chunks = (
        MaterialChunk.objects.filter(material__user=user, embedding__isnull=False)
        .select_related("material")
        .defer("embedding")  # the vector itself: no page shows it
        .annotate(distance=CosineDistance("embedding", vector))
        .order_by("distance")[:limit]
    )
    return [
        Passage(chunk=c, similarity=1 - c.distance) for c in chunks if 1 - c.distance >= settings.SEARCH_MIN_SIMILARITY
    ]


def stages_for(*, material: Material) -> list:
    """The material's job rows in pipeline order, for the progress bars."""
    jobs = {job.job_type: job for job in material.jobs.all()}
    return [jobs[stage] for stage in STAGES if stage in jobs]
