"""SQL for row-level security policies, used by the apps' `*_row_level_security` migrations.

Frozen like a migration: change policies with a new migration and new functions here, never by
editing these.
"""

SERVICE_ROLES = "studyin_rls_role() IN ('staff', 'system')"
# The same rules with the settings read once per statement, not once per row: a scalar subquery
# is planned as an InitPlan. Over a student's ten thousand chunks the per-row reads were about a
# third of the search (materials 0008).
SERVICE_ROLES_ONCE = "(SELECT studyin_rls_role()) IN ('staff', 'system')"
CURRENT_USER_ONCE = "(SELECT studyin_current_user_id())"

HELPER_FUNCTIONS = """
CREATE OR REPLACE FUNCTION studyin_current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.current_user_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION studyin_rls_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.role', true), '') $$;
"""
DROP_HELPER_FUNCTIONS = """
DROP FUNCTION IF EXISTS studyin_current_user_id();
DROP FUNCTION IF EXISTS studyin_rls_role();
"""


def _policies(table: str, using: str, check: str | None = None, service: str = SERVICE_ROLES) -> str:
    check = check or using
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY {table}_owner ON {table} USING ({using}) WITH CHECK ({check});
CREATE POLICY {table}_service ON {table} USING ({service}) WITH CHECK ({service});
"""


def owner_policies(table: str, *, anonymisable: bool = False) -> str:
    """Rows whose `user_id` is the current user. Anonymisable rows (analytics) may also be
    updated to user_id NULL, which is how they survive the deletion of their user."""
    using = "user_id = studyin_current_user_id()"
    check = f"{using} OR user_id IS NULL" if anonymisable else None
    return _policies(table, using, check)


def owner_policies_once(table: str) -> str:
    """owner_policies with the settings read once per statement (SERVICE_ROLES_ONCE)."""
    return _policies(table, f"user_id = {CURRENT_USER_ONCE}", service=SERVICE_ROLES_ONCE)


def child_policies(table: str, parent: str, fk: str) -> str:
    """Rows visible exactly when their parent row is (the parent's own policy decides)."""
    return _policies(table, f"EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{fk})")


def drop_policies(table: str) -> str:
    return f"""
DROP POLICY IF EXISTS {table}_owner ON {table};
DROP POLICY IF EXISTS {table}_service ON {table};
ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""
