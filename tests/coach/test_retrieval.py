"""Hybrid retrieval over a student's own chunks (materials/selectors.py `passages_search`)."""

import pytest
from django.db import connection, transaction

from materials import selectors
from materials.selectors import (
    EXACT,
    HNSW,
    HYBRID_SQL,
    ORDER,
    chunks_nearest,
    passages_search,
    query_terms,
    search_route,
)
from medtext.embeddings import get_embedder
from studyin.rls import rls_set
from tests.coach.conftest import RENAL, notes_material

pytestmark = pytest.mark.django_db


def test_retrieval_returns_only_the_students_own_chunks(student, peer, renal):
    notes_material(peer, RENAL, title="Peer's renal notes", topic="Renal")
    rls_set(user_id=student.pk)
    found = passages_search(user=student, query="most common cause of nephrotic syndrome in children")
    assert found and {p.chunk.material_id for p in found} == {renal.pk}


@pytest.mark.parametrize("route", [EXACT, HNSW])
def test_row_level_security_agrees_when_the_owner_filter_is_removed(student, peer, renal, route):
    theirs = notes_material(peer, RENAL, title="Peer's renal notes", topic="Renal")
    vector = "[" + ",".join(str(x) for x in get_embedder().embed(["nephrotic syndrome"])[0]) + "]"
    unfiltered = HYBRID_SQL.format(order=ORDER[route], owner="true", lexical_owner="true")
    assert "%(user)s" not in unfiltered and "%(owned)s" not in unfiltered
    params = {"vector": vector, "terms": query_terms("nephrotic syndrome"), "candidates": 50, "rrf_k": 60}
    rls_set(user_id=student.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute(unfiltered, params)
        ids = {row[0] for row in cursor.fetchall()}
    assert ids == set(renal.chunks.values_list("pk", flat=True))
    assert not ids & set(theirs.chunks.values_list("pk", flat=True))


def test_an_exact_term_match_ranks_first_under_fusion(student, renal):
    rls_set(user_id=student.pk)
    found = passages_search(user=student, query="Kimmelstiel-Wilson")
    assert found[0].chunk.content.startswith("Diabetic nephropathy")
    assert found[0].exact and found[0].score == max(p.score for p in found)
    assert found[0].score > 1 / 61  # in both rankings: more than a first place in one alone


def test_the_material_switch_and_the_topic_filter(student, renal, cardio):
    rls_set(user_id=student.pk)
    query = "what lowers mortality and what slows diabetic nephropathy"
    everywhere = {p.chunk.material_id for p in passages_search(user=student, query=query)}
    assert everywhere == {renal.pk, cardio.pk}
    only_cardio = passages_search(user=student, query=query, material_ids=[cardio.pk])
    assert {p.chunk.material_id for p in only_cardio} == {cardio.pk}
    assert {p.chunk.material_id for p in passages_search(user=student, query=query, topic="renal")} == {renal.pk}
    assert passages_search(user=student, query=query, material_ids=[]) == []


def test_below_the_threshold_nothing_counts_as_found(student, renal, settings):
    rls_set(user_id=student.pk)
    for unrelated in ("recipe for chocolate cake", "who won the football match yesterday"):
        assert passages_search(user=student, query=unrelated, min_similarity=settings.COACH_MIN_SIMILARITY) == []


def test_the_semantic_route_is_exact_up_to_the_threshold_then_the_index(student, renal, cardio, monkeypatch):
    rls_set(user_id=student.pk)
    both = renal.chunk_count + cardio.chunk_count
    monkeypatch.setattr(selectors, "EXACT_MAX_CHUNKS", both)
    assert search_route(user=student) == EXACT
    assert search_route(user=student, material_ids=[renal.pk]) == EXACT
    monkeypatch.setattr(selectors, "EXACT_MAX_CHUNKS", both - 1)
    assert search_route(user=student) == HNSW
    assert search_route(user=student, material_ids=[renal.pk]) == EXACT  # the filters count too
    assert search_route(user=student, topic="renal") == EXACT


def test_both_routes_find_the_same_nearest_chunks_and_passages(student, peer, renal, cardio):
    notes_material(peer, RENAL, title="Peer's renal notes", topic="Renal")
    rls_set(user_id=student.pk)
    query = "most common cause of nephrotic syndrome in children"
    vector = get_embedder().embed([query])[0]
    exact = chunks_nearest(user=student, vector=vector, limit=5, route=EXACT)
    with transaction.atomic():  # the index route's settings are SET LOCAL
        indexed = chunks_nearest(user=student, vector=vector, limit=5, route=HNSW)
        ranked = selectors.passages_rank(user=student, vector=vector, terms=query_terms(query), limit=5, route=HNSW)
    assert [c for c, *_ in ranked] == [
        c
        for c, *_ in selectors.passages_rank(
            user=student, vector=vector, terms=query_terms(query), limit=5, route=EXACT
        )
    ]
    assert [c for c, _ in indexed] == [c for c, _ in exact]
    assert [d for _, d in indexed] == pytest.approx([d for _, d in exact])
    mine = set(renal.chunks.values_list("pk", flat=True)) | set(cardio.chunks.values_list("pk", flat=True))
    assert len(exact) == 5 and {c for c, _ in exact} <= mine
    assert [d for _, d in exact] == sorted(d for _, d in exact)


def test_query_terms_are_words_only():
    assert query_terms("Na-K-2Cl & (loop) | diuretics!") == "na | k | 2cl | loop | diuretics"
    assert query_terms("") == ""


def test_a_students_word_matches_are_found_inside_the_full_text_index(student, peer, renal):
    # The owner is the index's second key (materials 0008): the planner must not AND the matches
    # with every row of the student, which is what made a large library's search slow.
    notes_material(peer, RENAL, title="Peer's renal notes", topic="Renal")
    rls_set(user_id=student.pk)
    lexical = f"""SELECT c.id FROM material_chunks c, to_tsquery('english', %(terms)s) q(query)
        WHERE {selectors.LEXICAL_OWNER} AND c.content_search @@ q.query"""
    params = {"terms": query_terms("nephrotic syndrome"), "user": student.pk}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: the index must be possible
        cursor.execute(lexical, params)
        found = {row[0] for row in cursor.fetchall()}
        cursor.execute("EXPLAIN " + lexical, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert found and found <= set(renal.chunks.values_list("pk", flat=True))
    (condition,) = [line for line in plan.splitlines() if "Index Cond" in line]
    assert "content_search @@" in condition and "ARRAY[user_id] @>" in condition, plan
    assert "idx_chunks_content_search" in plan and "idx_chunks_user_id" not in plan, plan


def test_a_search_is_planned_for_its_student_even_once_prepared(student, renal):
    # A statement run five times on a connection is prepared (settings.py); a generic plan, made
    # for no student in particular, read a large student's every row on the index route (at a
    # million chunks: bench/retrieval.py; a test's few rows never tempt the planner to one).
    rls_set(user_id=student.pk)
    for _ in range(8):
        passages_search(user=student, query="nephrotic syndrome")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('plan_cache_mode')")
        assert cursor.fetchone() == ("force_custom_plan",)  # for the search's transaction
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%WITH semantic AS%"],
        )
        plans = cursor.fetchall()
    assert plans and all(generic == 0 and custom > 0 for generic, custom in plans), plans
