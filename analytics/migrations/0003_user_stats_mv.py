from django.db import migrations

# Seed 000's user_stats_mv, with each aggregate in its own subquery (DESIGN.md item 8: joining
# attempts and materials in one GROUP BY multiplies the rows). A materialized view has no
# row-level security, so the application reads it through `user_stats`, a security-barrier view
# with the same rule as the tables' policies: a student's own row; every row for staff and
# workers. It is created empty (migrations run with no user set, so the policies of the tables
# it reads show nothing) and filled by the refresh (beat, as `system`).
CREATE = """
CREATE MATERIALIZED VIEW user_stats_mv AS
SELECT u.id AS user_id, u.xp, u.level, u.current_streak,
       coalesce(a.answered, 0) AS total_questions_answered,
       coalesce(a.correct, 0) AS total_correct,
       a.accuracy AS overall_accuracy,
       coalesce(m.materials, 0) AS materials_uploaded,
       now() AS refreshed_at
FROM users u
LEFT JOIN (SELECT user_id, count(*) AS answered, count(*) FILTER (WHERE is_correct) AS correct,
                  avg(is_correct::int)::float AS accuracy
           FROM user_question_attempts GROUP BY user_id) a ON a.user_id = u.id
LEFT JOIN (SELECT user_id, count(*) AS materials FROM materials GROUP BY user_id) m ON m.user_id = u.id;
CREATE UNIQUE INDEX idx_user_stats_mv_user_id ON user_stats_mv (user_id);
CREATE VIEW user_stats WITH (security_barrier) AS
    SELECT * FROM user_stats_mv
    WHERE user_id = studyin_current_user_id() OR studyin_rls_role() IN ('staff', 'system');
"""
DROP = "DROP VIEW IF EXISTS user_stats; DROP MATERIALIZED VIEW IF EXISTS user_stats_mv;"


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_partitions_and_row_level_security"),
        ("materials", "0001_initial"),
        ("questions", "0001_initial"),
    ]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
