"""The migrated database against seed 000: table for table, constraint for constraint, index for
index, minus the defects and redundancies DESIGN.md names."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

SEED_TABLES = {
    "users", "refresh_tokens", "email_verification_tokens", "password_reset_tokens",
    "materials", "material_chunks", "material_processing_jobs", "material_tags",
    "questions", "question_options", "question_explanations", "user_question_attempts",
    "practice_sessions", "practice_session_questions",
    "chat_conversations", "chat_messages", "learning_paths", "learning_path_milestones",
    "user_progress", "mastery_levels", "sm2_review_cards",
    "achievements", "user_achievements", "xp_transactions", "user_streaks",
    "study_sessions", "performance_metrics", "retention_analytics",
}  # fmt: skip

# Seed names for CHECK/UNIQUE constraints; inline ones carry PostgreSQL's generated names. The
# few StudyIn adds to seed tables are here too, so nothing appears unnoticed.
SEED_CONSTRAINTS = {
    "users": {
        "users_email_key", "valid_email", "positive_xp", "positive_level", "valid_daily_goal",
        "valid_desired_retention", "valid_streak_freezes", "users_scheduler_valid",
    },
    "refresh_tokens": {"refresh_tokens_token_hash_key", "valid_expiration"},
    "email_verification_tokens": {"email_verification_tokens_token_hash_key", "valid_expiration"},
    "password_reset_tokens": {"password_reset_tokens_token_hash_key", "valid_expiration"},
    "materials": {
        "positive_file_size", "positive_counts", "materials_processing_status_valid", "unique_material_owner",
    },
    "material_chunks": {"valid_chunk_range", "positive_chunk_index", "unique_material_chunk"},
    "material_processing_jobs": {
        "valid_completion", "material_processing_jobs_job_type_valid", "material_processing_jobs_status_valid",
        "unique_material_job",
    },
    "material_tags": {"unique_material_tag", "material_tags_confidence_check"},
    "questions": {
        "valid_correct_index", "valid_stats", "valid_options", "questions_quality_score_check",
        "questions_difficulty_valid", "valid_discrimination", "questions_organ_system_valid",
    },
    "question_options": {"unique_question_option", "positive_option_index"},
    "question_explanations": {"unique_question_explanation"},
    "user_question_attempts": {
        "user_question_attempts_confidence_rating_check", "user_question_attempts_time_taken_seconds_check",
        "user_question_attempts_attempt_type_valid",
    },
    "practice_sessions": {
        "valid_counts", "valid_xp", "practice_sessions_session_type_valid", "practice_sessions_status_valid",
        "valid_block_position",
    },
    "practice_session_questions": {
        "unique_session_question", "positive_question_order", "practice_session_questions_confidence_check",
        "valid_viewed_seconds",
    },
    "chat_conversations": {"chat_conversations_conversation_type_valid"},
    "chat_messages": {"chat_messages_role_valid", "chat_messages_status_valid"},  # status: the coach's replies
    "learning_paths": {"valid_milestone_count", "learning_paths_status_valid"},
    "learning_path_milestones": {"unique_path_milestone", "positive_milestone_order"},
    "user_progress": {"unique_user_question_progress", "valid_attempts"},
    "mastery_levels": {"unique_user_topic_mastery", "valid_mastery_counts", "mastery_levels_proficiency_level_valid"},
    "sm2_review_cards": {
        "unique_user_question_card", "valid_easiness_factor", "positive_interval", "sm2_review_cards_state_valid",
        "non_negative_lapses",
    },
    "achievements": {
        "achievements_code_key", "positive_xp_reward", "achievements_category_valid", "achievements_rarity_valid",
    },
    "user_achievements": {"unique_user_achievement"},
    "xp_transactions": {"xp_transactions_source_valid"},
    "user_streaks": {"unique_user_streak_date", "positive_counts"},
    "study_sessions": {"study_sessions_session_type_valid"},
    "performance_metrics": set(),
    "retention_analytics": set(),
}  # fmt: skip

# Every seed index except the redundant ones (DESIGN.md item 5) and the two that used
# CURRENT_DATE (replaced by idx_sm2_user_due). Tables StudyIn adds are not listed here.
SEED_INDEXES = {
    "users": {"idx_users_active", "idx_users_verified", "idx_users_last_study"},
    "refresh_tokens": {"idx_refresh_tokens_user_id", "idx_refresh_tokens_family_id", "idx_refresh_tokens_expires_at"},
    "email_verification_tokens": {"idx_email_verification_user_id", "idx_email_verification_expires"},
    "password_reset_tokens": {"idx_password_reset_user_id", "idx_password_reset_expires"},
    "materials": {
        "idx_materials_user_id", "idx_materials_status", "idx_materials_topic", "idx_materials_created",
        "idx_materials_tags", "idx_materials_search",
    },
    "material_chunks": {
        "idx_chunks_user_id", "idx_chunks_page_number", "idx_chunks_embedding", "idx_chunks_content_search",
    },
    "material_processing_jobs": {"idx_jobs_status", "idx_jobs_type"},
    "material_tags": {"idx_tags_tag", "idx_tags_category"},
    "questions": {
        "idx_questions_material_id", "idx_questions_difficulty", "idx_questions_verified", "idx_questions_flagged",
        "idx_questions_quality", "idx_questions_topic_difficulty", "idx_questions_vignette_search",
    },
    "question_options": set(),
    "question_explanations": set(),
    "user_question_attempts": {
        "idx_attempts_question_id", "idx_attempts_session_id", "idx_attempts_answered_at",
        "idx_attempts_user_question",
    },
    "practice_sessions": {"idx_sessions_user_id", "idx_sessions_status", "idx_sessions_started_at", "idx_sessions_type"},
    "practice_session_questions": {"idx_session_questions_question_id"},
    "chat_conversations": {
        "idx_conversations_user_id", "idx_conversations_type", "idx_conversations_last_message",
        "idx_conversations_archived",
    },
    "chat_messages": {
        "idx_messages_conversation_id", "idx_messages_created_at", "idx_messages_role", "idx_messages_content_search",
    },
    "learning_paths": {"idx_learning_paths_user_id", "idx_learning_paths_status"},
    "learning_path_milestones": {"idx_milestones_order"},
    "user_progress": {"idx_progress_question_id", "idx_progress_last_attempt", "idx_progress_accuracy"},
    "mastery_levels": {"idx_mastery_topic", "idx_mastery_percentage"},
    "sm2_review_cards": {"idx_sm2_question_id", "idx_sm2_user_due"},
    "achievements": {"idx_achievements_category", "idx_achievements_active"},
    "user_achievements": {"idx_user_achievements_unlocked_at"},
    "xp_transactions": {"idx_xp_transactions_user_id", "idx_xp_transactions_created_at", "idx_xp_transactions_source"},
    "user_streaks": {"idx_streaks_date"},
    "study_sessions": {"idx_study_sessions_user_id", "idx_study_sessions_started_at", "idx_study_sessions_type"},
    "performance_metrics": {"idx_perf_metrics_user_id", "idx_perf_metrics_date", "idx_perf_metrics_topic"},
    "retention_analytics": {"idx_retention_user_id", "idx_retention_date"},
}  # fmt: skip

LEFT_OUT = {
    "idx_users_email", "idx_achievements_code", "idx_explanations_question_id", "idx_options_question_id",
    "idx_tags_material_id", "idx_questions_topic", "idx_attempts_user_id", "idx_progress_user_id",
    "idx_mastery_user_id", "idx_mastery_user_topic", "idx_sm2_user_id", "idx_streaks_user_id",
    "idx_streaks_user_date", "idx_session_questions_session_id", "idx_milestones_path_id",
    "idx_user_achievements_user_id", "idx_milestones_completed", "idx_user_achievements_completed",
    "idx_sm2_next_review", "idx_sm2_is_due",
    # prefixes of unique_material_chunk and unique_material_job (materials migration 0004)
    "idx_chunks_material_id", "idx_jobs_material_id",
}  # fmt: skip


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_every_seed_table_exists():
    tables = {
        t for (t,) in _rows("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relispartition = false")
    }
    assert SEED_TABLES <= tables
    assert set(SEED_CONSTRAINTS) == set(SEED_INDEXES) == SEED_TABLES


def test_seed_constraints_exist_under_their_seed_names():
    rows = _rows(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype IN ('c', 'u') "
        "AND conrelid::regclass::text = ANY(%s)",
        [sorted(SEED_TABLES)],
    )
    found: dict[str, set] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    for table, expected in SEED_CONSTRAINTS.items():
        assert found.get(table, set()) == expected, table


def test_indexes_are_the_seeds_minus_the_redundant_ones():
    rows = _rows(
        """
        SELECT t.relname, i.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        [sorted(SEED_TABLES)],
    )
    found: dict[str, set] = {}
    for table, index in rows:
        found.setdefault(table, set()).add(index)
    for table, expected in SEED_INDEXES.items():
        assert found.get(table, set()) == expected, table
    assert not LEFT_OUT & set().union(*found.values())


def test_no_index_is_a_prefix_of_another_index_or_unique_constraint():
    """A plain btree index whose columns start another btree index (or a unique constraint) on
    the same table only costs writes; so does a plain index on a boolean column."""
    indexes = _rows(
        """
        SELECT t.relname, i.relname, x.indkey::int2[], x.indisunique,
               x.indpred IS NOT NULL OR x.indexprs IS NOT NULL, am.amname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_am am ON am.oid = i.relam
        WHERE t.relname = ANY(%s)
        """,
        [sorted(SEED_TABLES)],
    )
    redundant = []
    for table, name, keys, unique, partial_or_expr, method in indexes:
        if unique or partial_or_expr or method != "btree":
            continue
        for other_table, other, other_keys, _, other_partial_or_expr, other_method in indexes:
            if other_table == table and other != name and other_method == "btree" and not other_partial_or_expr:
                if list(other_keys[: len(keys)]) == list(keys):
                    redundant.append(f"{table}.{name} is a prefix of {other}")
    assert redundant == []

    boolean_indexes = _rows(
        """
        SELECT i.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
        WHERE t.relname = ANY(%s) AND x.indnatts = 1 AND x.indpred IS NULL AND a.atttypid = 'bool'::regtype
        """,
        [sorted(SEED_TABLES)],
    )
    assert boolean_indexes == []


def test_generated_columns_are_stored_and_computed_by_the_database():
    assert sorted(
        _rows(
            "SELECT attrelid::regclass::text, attname FROM pg_attribute WHERE attgenerated = 's' "
            "AND attrelid::regclass::text IN ('user_progress', 'mastery_levels')"
        )
    ) == [("mastery_levels", "mastery_percentage"), ("user_progress", "accuracy_rate")]


def test_partitioned_tables_are_partitioned_by_created_at():
    rows = _rows("SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_class c WHERE c.relkind = 'p' ORDER BY 1")
    assert rows == [
        ("audit_log", "RANGE (created_at)"),
        ("performance_metrics", "RANGE (created_at)"),
        ("retention_analytics", "RANGE (created_at)"),
        ("study_sessions", "RANGE (created_at)"),
    ]


def test_uuid_keys_default_in_the_database_so_raw_inserts_work():
    [(default,)] = _rows(
        "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
        "ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'materials'::regclass AND a.attname = 'id'"
    )
    assert default == "gen_random_uuid()"


def test_embedding_column_has_the_configured_dimension(settings):
    [(type_,)] = _rows(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'material_chunks'::regclass AND attname = 'embedding'"
    )
    assert type_ == f"vector({settings.EMBEDDING_DIMENSIONS})"


def test_the_seed_achievements_are_loaded():
    codes = {c for (c,) in _rows("SELECT code FROM achievements")}
    assert {
        "first_question", "streak_7", "streak_30", "perfect_10", "speed_demon", "night_owl", "early_bird",
        "master_anatomy",
    } <= codes  # fmt: skip
