"""The three analytics tables, range-partitioned by month on created_at.

Django cannot create partitioned tables, so the database side is hand-written SQL and the models
come from the state operations. Seed indexes are created on the parent and propagate to every
partition (the seed's per-partition CREATE INDEX is unnecessary). user_id is ON DELETE SET NULL:
rows outlive their user anonymised, and a trigger empties their personal JSON at that moment.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


SESSION_TYPES = "'timed', 'tutor', 'review', 'test'"
USER_FK = "uuid NULL REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED"

CREATE_SQL = f"""
CREATE TABLE study_sessions (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id {USER_FK},
    session_type varchar(10) NOT NULL CONSTRAINT study_sessions_session_type_valid
        CHECK (session_type IN ({SESSION_TYPES})),
    duration_seconds integer NOT NULL,
    questions_answered integer NOT NULL DEFAULT 0,
    xp_earned integer NOT NULL DEFAULT 0,
    activity_data jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_study_sessions_user_id ON study_sessions (user_id, created_at);
CREATE INDEX idx_study_sessions_started_at ON study_sessions (started_at);
CREATE INDEX idx_study_sessions_type ON study_sessions (session_type);

CREATE TABLE performance_metrics (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id {USER_FK},
    metric_date date NOT NULL,
    topic varchar(255) NULL,
    questions_attempted integer NOT NULL DEFAULT 0,
    accuracy_rate double precision NULL,
    avg_time_per_question double precision NULL,
    xp_earned integer NOT NULL DEFAULT 0,
    detailed_metrics jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_perf_metrics_user_id ON performance_metrics (user_id, created_at);
CREATE INDEX idx_perf_metrics_date ON performance_metrics (metric_date);
CREATE INDEX idx_perf_metrics_topic ON performance_metrics (topic) WHERE topic IS NOT NULL;

CREATE TABLE retention_analytics (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id {USER_FK},
    retention_date date NOT NULL,
    cards_reviewed integer NOT NULL DEFAULT 0,
    cards_correct integer NOT NULL DEFAULT 0,
    retention_rate double precision NULL,
    topic_breakdown jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_retention_user_id ON retention_analytics (user_id, created_at);
CREATE INDEX idx_retention_date ON retention_analytics (retention_date);

-- When a user is deleted, user_id becomes NULL; the trigger empties the row's personal JSON
-- (the column named by the trigger's argument) in the same statement.
CREATE FUNCTION studyin_anonymise_analytics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NULL AND OLD.user_id IS NOT NULL THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], '{{}}'::jsonb));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER study_sessions_anonymise BEFORE UPDATE OF user_id ON study_sessions
    FOR EACH ROW EXECUTE FUNCTION studyin_anonymise_analytics('activity_data');
CREATE TRIGGER performance_metrics_anonymise BEFORE UPDATE OF user_id ON performance_metrics
    FOR EACH ROW EXECUTE FUNCTION studyin_anonymise_analytics('detailed_metrics');
CREATE TRIGGER retention_analytics_anonymise BEFORE UPDATE OF user_id ON retention_analytics
    FOR EACH ROW EXECUTE FUNCTION studyin_anonymise_analytics('topic_breakdown');
"""

DROP_SQL = """
DROP TABLE IF EXISTS study_sessions, performance_metrics, retention_analytics CASCADE;
DROP FUNCTION IF EXISTS studyin_anonymise_analytics();
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(CREATE_SQL, reverse_sql=DROP_SQL)],
            state_operations=[
                migrations.CreateModel(
                    name="PerformanceMetricRow",
                    fields=[
                        ("metric_date", models.DateField()),
                        (
                            "topic",
                            models.CharField(blank=True, max_length=255, null=True),
                        ),
                        ("questions_attempted", models.IntegerField(default=0)),
                        ("accuracy_rate", models.FloatField(blank=True, null=True)),
                        (
                            "avg_time_per_question",
                            models.FloatField(blank=True, null=True),
                        ),
                        ("xp_earned", models.IntegerField(default=0)),
                        (
                            "detailed_metrics",
                            models.JSONField(blank=True, default=dict),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        ("id", models.UUIDField(primary_key=True, serialize=False)),
                    ],
                    options={
                        "verbose_name": "performance metric",
                        "db_table": "performance_metrics",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="RetentionAnalyticRow",
                    fields=[
                        ("retention_date", models.DateField()),
                        ("cards_reviewed", models.IntegerField(default=0)),
                        ("cards_correct", models.IntegerField(default=0)),
                        ("retention_rate", models.FloatField(blank=True, null=True)),
                        ("topic_breakdown", models.JSONField(blank=True, default=dict)),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        ("id", models.UUIDField(primary_key=True, serialize=False)),
                    ],
                    options={
                        "verbose_name": "retention analytic",
                        "db_table": "retention_analytics",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="StudySessionRow",
                    fields=[
                        (
                            "session_type",
                            models.CharField(
                                choices=[
                                    ("timed", "Timed"),
                                    ("tutor", "Tutor"),
                                    ("review", "Review"),
                                    ("test", "Test"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("duration_seconds", models.IntegerField()),
                        ("questions_answered", models.IntegerField(default=0)),
                        ("xp_earned", models.IntegerField(default=0)),
                        ("activity_data", models.JSONField(blank=True, default=dict)),
                        ("started_at", models.DateTimeField()),
                        ("ended_at", models.DateTimeField()),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        ("id", models.UUIDField(primary_key=True, serialize=False)),
                    ],
                    options={
                        "verbose_name": "study session",
                        "db_table": "study_sessions",
                        "managed": False,
                    },
                ),
                migrations.CreateModel(
                    name="PerformanceMetric",
                    fields=[
                        ("metric_date", models.DateField()),
                        (
                            "topic",
                            models.CharField(blank=True, max_length=255, null=True),
                        ),
                        ("questions_attempted", models.IntegerField(default=0)),
                        ("accuracy_rate", models.FloatField(blank=True, null=True)),
                        (
                            "avg_time_per_question",
                            models.FloatField(blank=True, null=True),
                        ),
                        ("xp_earned", models.IntegerField(default=0)),
                        (
                            "detailed_metrics",
                            models.JSONField(blank=True, default=dict),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "id",
                                "created_at",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "performance_metrics",
                    },
                ),
                migrations.CreateModel(
                    name="RetentionAnalytic",
                    fields=[
                        ("retention_date", models.DateField()),
                        ("cards_reviewed", models.IntegerField(default=0)),
                        ("cards_correct", models.IntegerField(default=0)),
                        ("retention_rate", models.FloatField(blank=True, null=True)),
                        ("topic_breakdown", models.JSONField(blank=True, default=dict)),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "id",
                                "created_at",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "retention_analytics",
                    },
                ),
                migrations.CreateModel(
                    name="StudySession",
                    fields=[
                        (
                            "session_type",
                            models.CharField(
                                choices=[
                                    ("timed", "Timed"),
                                    ("tutor", "Tutor"),
                                    ("review", "Review"),
                                    ("test", "Test"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("duration_seconds", models.IntegerField()),
                        ("questions_answered", models.IntegerField(default=0)),
                        ("xp_earned", models.IntegerField(default=0)),
                        ("activity_data", models.JSONField(blank=True, default=dict)),
                        ("started_at", models.DateTimeField()),
                        ("ended_at", models.DateTimeField()),
                        (
                            "created_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                                editable=False,
                            ),
                        ),
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "id",
                                "created_at",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "study_sessions",
                    },
                ),
            ],
        ),
    ]
