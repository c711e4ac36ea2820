"""The append-only audit log (seed 003): security-relevant changes, partitioned by month like
the analytics tables.

- Append-only: a trigger refuses every UPDATE, DELETE and TRUNCATE, whoever sends it (the
  application's role owns the table, so privileges alone could not stop it), and the privileges
  to do them are revoked too.
- Row-level security: anyone may append (a student changing their password writes a row);
  only staff and workers read.
- People are named by a keyed hash of their id (accounts/audit.py `person_key`), never by id or
  e-mail: an erased student leaves no row that names them, and the log stays unchanged.
- `studyin_create_audit_partition()` is the one place that creates a partition, with its
  policies; this migration creates the current month and the next 12, and `manage.py partitions`
  keeps them ahead. Audit partitions are never archived or dropped by it.
"""

from django.db import migrations

CREATE = """
CREATE TABLE audit_log (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    action varchar(50) NOT NULL,
    actor_key varchar(64),
    subject_key varchar(64),
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_audit_log_created_at ON audit_log (created_at DESC);
CREATE INDEX idx_audit_log_subject ON audit_log (subject_key, created_at DESC);
CREATE INDEX idx_audit_log_action ON audit_log (action, created_at DESC);

CREATE FUNCTION studyin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION studyin_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION studyin_audit_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;

CREATE FUNCTION studyin_create_audit_partition(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    partition text := 'audit_log_' || to_char(first_day, 'YYYY_MM');
BEGIN
    IF to_regclass(partition) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
        partition, first_day::text || ' 00:00:00+00', (first_day + interval '1 month')::date::text || ' 00:00:00+00'
    );
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM CURRENT_USER', partition);
    EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION studyin_audit_append_only()', partition);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (true)', partition || '_append', partition);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (studyin_rls_role() IN (''staff'', ''system''))',
                   partition || '_read', partition);
    RETURN partition;
END $$;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_append ON audit_log FOR INSERT WITH CHECK (true);
CREATE POLICY audit_log_read ON audit_log FOR SELECT USING (studyin_rls_role() IN ('staff', 'system'));

SELECT studyin_create_audit_partition((date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => m))::date)
FROM generate_series(0, 12) AS m;
"""

DROP = """
DROP TABLE IF EXISTS audit_log CASCADE;
DROP FUNCTION IF EXISTS studyin_create_audit_partition(date);
DROP FUNCTION IF EXISTS studyin_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_study_settings")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
