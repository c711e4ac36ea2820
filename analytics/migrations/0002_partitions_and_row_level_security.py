"""Row-level security on the analytics tables, and their first partitions.

Policies on a partitioned table guard queries through it, not queries that name a partition, so
every partition gets the same policies. `studyin_create_partition()` is the one place that
creates a partition (with its policies): this migration calls it for the current month and the
next 12, and `manage.py partitions` calls it to keep ahead.
"""

from django.db import migrations

from studyin.rls_sql import drop_policies, owner_policies

TABLES = ["study_sessions", "performance_metrics", "retention_analytics"]

CREATE_FUNCTION = """
CREATE FUNCTION studyin_create_partition(parent text, month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    partition text := parent || '_' || to_char(first_day, 'YYYY_MM');
BEGIN
    IF to_regclass(partition) IS NOT NULL THEN
        RETURN NULL;  -- exists already (attached, or detached as an archive)
    END IF;
    -- Bounds in UTC whatever the session's time zone, so every partition tiles the same axis.
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
        partition, parent, first_day::text || ' 00:00:00+00',
        (first_day + interval '1 month')::date::text || ' 00:00:00+00'
    );
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition);
    EXECUTE format(
        'CREATE POLICY %I ON %I USING (user_id = studyin_current_user_id()) '
        'WITH CHECK (user_id = studyin_current_user_id() OR user_id IS NULL)',
        partition || '_owner', partition
    );
    EXECUTE format(
        'CREATE POLICY %I ON %I USING (studyin_rls_role() IN (''staff'', ''system'')) '
        'WITH CHECK (studyin_rls_role() IN (''staff'', ''system''))',
        partition || '_service', partition
    );
    RETURN partition;
END $$;
"""

CREATE_FIRST_PARTITIONS = """
SELECT studyin_create_partition(t, (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => m))::date)
FROM unnest(ARRAY['study_sessions', 'performance_metrics', 'retention_analytics']) AS t,
     generate_series(0, 12) AS m;
"""

DROP_PARTITIONS = """
DO $$
DECLARE child regclass;
BEGIN
    FOR child IN
        SELECT inhrelid::regclass FROM pg_inherits
        WHERE inhparent IN ('study_sessions'::regclass, 'performance_metrics'::regclass,
                            'retention_analytics'::regclass)
    LOOP
        EXECUTE format('DROP TABLE %s', child);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_partitioned_tables"), ("accounts", "0002_row_level_security")]

    operations = [
        *[migrations.RunSQL(owner_policies(t, anonymisable=True), reverse_sql=drop_policies(t)) for t in TABLES],
        migrations.RunSQL(CREATE_FUNCTION, reverse_sql="DROP FUNCTION studyin_create_partition(text, date)"),
        migrations.RunSQL(CREATE_FIRST_PARTITIONS, reverse_sql=DROP_PARTITIONS),
    ]
