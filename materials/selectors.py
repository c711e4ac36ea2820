"""Reads for materials. Every query runs under the request's row-level security context, so a
student only ever sees their own materials and chunks; the explicit user filters say so too."""

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

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
    similarity: float  # cosine similarity to the query
    score: float = 0.0  # reciprocal rank fusion: the sum of 1 / (RRF_K + rank) over both rankings
    exact: bool = False  # the chunk contains words of the query (full-text match)


RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009)
CANDIDATES = 20  # taken from each ranking before fusing
# The semantic ranking's route, chosen per search from the student's chunk count (within the
# filters). Up to EXACT_MAX_CHUNKS the student's own rows are scanned and sorted by distance:
# recall 1.0, about 2 µs a row. Above it the HNSW index, scanned iteratively so the owner filter
# never starves it, with a wider beam than pgvector's default 40 (bench/retrieval.py measures).
EXACT_MAX_CHUNKS = 10_000
HNSW_EF_SEARCH = 400
EXACT, HNSW = "exact", "hnsw"

# The student's nearest processed chunks: their own rows (chunks carry their owner, migration
# 0008), within the materials of the filters when there are any ({owner}: OWNER or OWNER plus
# WITHIN; row-level security agrees). On the chunks alone, with no join: joined to materials the
# planner misjudges how many rows the student has and never takes the index. `{order}` is the
# distance itself on the HNSW route (the index's ordering) and the distance plus zero on the
# exact one (no index orders by it: the planner reads the student's rows through
# idx_chunks_user_id and sorts them).
SEMANTIC_SQL = """
SELECT c.id, c.embedding <=> %(vector)s::vector AS distance
FROM material_chunks c
WHERE {owner} AND c.embedding IS NOT NULL
ORDER BY {order} LIMIT %(candidates)s
"""
OWNER = "c.user_id = %(user)s"
WITHIN = " AND c.material_id = ANY(%(owned)s)"
LEXICAL_OWNER = "ARRAY[c.user_id] @> ARRAY[%(user)s]::uuid[]"
ORDER = {EXACT: "(c.embedding <=> %(vector)s::vector) + 0", HNSW: "c.embedding <=> %(vector)s::vector"}

# Both rankings, fused by reciprocal rank fusion. Lexical: any word of the query (an OR of its
# lexemes), ranked by ts_rank_cd on the chunk's stored vector (content_search, migration 0007).
# The student's matches are found inside idx_chunks_content_search, whose second key is the
# owner ({lexical_owner}: LEXICAL_OWNER, OWNER's test in the form that index answers, migration
# 0008; plus WITHIN with filters). Given OWNER, the planner AND-ed the matches with a bitmap of
# every row of the student from idx_chunks_user_id: 10 ms at 200,000 chunks.
HYBRID_SQL = f"""
WITH semantic AS (
    SELECT id, row_number() OVER (ORDER BY distance) AS rank FROM ({SEMANTIC_SQL}) nearest
), lexical AS (
    SELECT c.id, row_number() OVER (ORDER BY ts_rank_cd(c.content_search, q.query) DESC, c.id) AS rank
    FROM material_chunks c, to_tsquery('english', %(terms)s) q(query)
    WHERE {{lexical_owner}} AND c.embedding IS NOT NULL AND c.content_search @@ q.query
    ORDER BY rank LIMIT %(candidates)s
), fused AS (
    SELECT id, sum(1.0 / (%(rrf_k)s + rank)) AS score, bool_or(exact) AS exact
    FROM (SELECT id, rank, false AS exact FROM semantic UNION ALL SELECT id, rank, true FROM lexical) ranked
    GROUP BY id
)
SELECT f.id, f.score, f.exact, 1 - (c.embedding <=> %(vector)s::vector) AS similarity
FROM fused f JOIN material_chunks c ON c.id = f.id
ORDER BY f.score DESC, similarity DESC
"""


def query_terms(query: str) -> str:
    """The query's words as a tsquery that matches any of them ("a | b | c"): a question's words
    are rarely all in one passage. Only letters and digits reach to_tsquery, so nothing typed can
    be tsquery syntax."""
    return " | ".join(dict.fromkeys(re.findall(r"[^\W_]+", query.lower()))) if query else ""


def passages_search(
    *,
    user: User,
    query: str,
    limit: int = 8,
    material_ids: list | None = None,
    topic: str | None = None,
    min_similarity: float | None = None,
) -> list[Passage]:
    """Hybrid search over the student's own chunks: semantic (pgvector) and full-text rankings
    fused by reciprocal rank fusion, best first, at most `limit`. `material_ids` keeps to those
    materials, `topic` to materials of that topic.

    Every query has nearest passages, even "xyzzy": a passage counts as found when its cosine
    similarity reaches `min_similarity` (SEARCH_MIN_SIMILARITY unless given), or when it contains
    a word of the query and its similarity reaches SEARCH_MIN_SIMILARITY (an exact term the
    embedder knows little about, a drug or an eponym, still finds its passage). Below that the
    student is told that nothing matches rather than shown passages that are not about it."""
    if not query.strip() or material_ids == []:
        return []
    floor = settings.SEARCH_MIN_SIMILARITY
    min_similarity = floor if min_similarity is None else min_similarity
    vector = get_embedder().embed([query])[0]
    ranked = [
        (chunk_id, score, exact, similarity)
        for chunk_id, score, exact, similarity in passages_rank(
            user=user, vector=vector, terms=query_terms(query), limit=limit, material_ids=material_ids, topic=topic
        )
        if similarity >= min_similarity or (exact and similarity >= floor)
    ][:limit]
    chunks = MaterialChunk.objects.select_related("material").defer("embedding").in_bulk([r[0] for r in ranked])
    return [
        Passage(chunk=chunks[chunk_id], similarity=similarity, score=float(score), exact=exact)
        for chunk_id, score, exact, similarity in ranked
        if chunk_id in chunks
    ]


def passages_rank(
    *, user: User, vector, terms: str, limit: int, material_ids=None, topic=None, route: str | None = None
) -> list[tuple]:
    """(chunk id, fused score, full-text match, similarity) of the student's best chunks for a
    query's vector and tsquery `terms`, best first: the fused candidates of both rankings.
    `route` (EXACT or HNSW) is chosen from the student's chunk count unless given."""
    return _run(HYBRID_SQL, user=user, vector=vector, candidates=max(CANDIDATES, limit), material_ids=material_ids,
                topic=topic, route=route, terms=terms, rrf_k=RRF_K)  # fmt: skip


def chunks_nearest(*, user: User, vector, limit: int, route: str | None = None) -> list[tuple]:
    """(chunk id, cosine distance) of the student's `limit` nearest chunks: the semantic ranking
    alone (the benchmark compares its routes with each other)."""
    return _run(SEMANTIC_SQL, user=user, vector=vector, candidates=limit, route=route)


def search_route(*, user: User, material_ids=None, topic=None) -> str:
    """EXACT when the student's processed chunks within the filters number EXACT_MAX_CHUNKS or
    fewer (from the materials' chunk counts: no chunk is read), else HNSW."""
    return _scope(user, material_ids, topic)[1]


def _scope(user, material_ids, topic) -> tuple[list | None, str]:
    """The student's material ids within the filters (None without filters: the chunks' owner is
    filter enough; empty when no material is left), and the route their chunk count calls for."""
    filters, params = "", {"user": user.pk}
    if material_ids is not None:
        filters += " AND m.id = ANY(%(materials)s)"
        params["materials"] = [uuid.UUID(str(m)) for m in material_ids]
    if topic:
        filters += " AND lower(m.topic) = lower(%(topic)s)"
        params["topic"] = topic
    owned = "coalesce(array_agg(m.id), '{}')" if filters else "CASE WHEN count(*) = 0 THEN '{}'::uuid[] END"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {owned}, coalesce(sum(m.chunk_count), 0) FROM materials m "
                       f"WHERE m.user_id = %(user)s {filters}", params)  # fmt: skip
        owned, count = cursor.fetchone()
    return owned, EXACT if count <= EXACT_MAX_CHUNKS else HNSW


def _run(sql: str, *, user, vector, candidates, material_ids=None, topic=None, route=None, **extra) -> list[tuple]:
    owned, chosen = _scope(user, material_ids, topic)
    if owned == []:
        return []
    route = route or chosen
    params = {**extra, "user": user.pk, "owned": owned, "candidates": candidates,
              "vector": "[" + ",".join(f"{x:.7g}" for x in vector) + "]"}  # fmt: skip
    with connection.cursor() as cursor:
        # Planned for this student every time: the statement is prepared once a connection has
        # run it five times (settings.py), and a generic plan, made for no student in particular,
        # reads a large student's every row on the HNSW route (0.24 s instead of 0.03 s at 200,000
        # chunks). On the HNSW route, the index is scanned until enough rows pass the owner filter
        # (pgvector >= 0.8): without it a student with few chunks among many could get fewer
        # results than exist. All for this transaction only.
        cursor.execute(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('hnsw.iterative_scan', %s, true), set_config('hnsw.ef_search', %s, true)",
            ["relaxed_order" if route == HNSW else "off", str(HNSW_EF_SEARCH)],
        )
        within = WITHIN if owned else ""
        cursor.execute(
            sql.format(order=ORDER[route], owner=OWNER + within, lexical_owner=LEXICAL_OWNER + within), params
        )
        return cursor.fetchall()


def stages_for(*, material: Material) -> list:
    """The material's job rows in pipeline order, for the progress bars."""
    jobs = {job.job_type: job for job in material.jobs.all()}
    return [jobs[stage] for stage in STAGES if stage in jobs]
