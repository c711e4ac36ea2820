"""Row-level security context (DESIGN.md "Row-level security"), and who owns a transaction.

Transactions (STYLE.md item 3, said once, here):
- In a request, the middleware below owns the one transaction; it is opened before the view runs
  and committed (or, on an exception or a 5xx, rolled back) after. A service called by a view
  joins it: its `atomic()` is a savepoint, so a service that raises rolls back its own writes and
  leaves the request usable (the answer path, practice/services.py, relies on it); `durable=True`
  is never used under a request. `on_commit` callbacks (tasks, cache invalidation) run when the
  middleware commits.
- In a task or a management command, the service owns its transactions: each `rls_context()`
  (or `atomic()`) is a transaction of its own, committed when the block ends. A service that
  must run alone (a pipeline stage, the reaper) opens short transactions itself and never runs
  inside a request.

Policies read `app.current_user_id` (seed 003) and `app.role`. Both are set with
`set_config(..., true)`: they last until the end of the current transaction, so they can never
leak into the next request on a reused connection, and they hold behind PgBouncer in
transaction mode. Roles: "" (a student, or nobody), "staff" (the admin), "system" (workers and
operator commands).
"""

from contextlib import contextmanager

from django.db import connection, connections, transaction
from django.urls import reverse

from studyin.outage import OUTAGE_ERRORS, is_outage, outage_response
from studyin.routers import REPLICA, replica_configured

HEALTHZ_PATH = "/healthz"  # studyin/urls.py
ROLE_NONE = ""
ROLE_STAFF = "staff"
ROLE_SYSTEM = "system"
# The first statement of every request's transaction (bench/answer_path.py sends it too).
RLS_SET_SQL = "SELECT set_config('app.current_user_id', %s, true), set_config('app.role', %s, true)"
RLS_SESSION_SQL = "SELECT set_config('app.current_user_id', %s, false), set_config('app.role', %s, false)"


def rls_set(*, user_id=None, role: str = ROLE_NONE) -> None:
    """Set the context for the rest of the current transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("rls_set() outside a transaction would be lost at once; use rls_context().")
    with connection.cursor() as cursor:
        cursor.execute(RLS_SET_SQL, [str(user_id) if user_id else "", role])


@contextmanager
def rls_context(*, user_id=None, role: str = ROLE_NONE):
    """Run a block in a transaction with the given context, restoring the outer one after."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.current_user_id', true), current_setting('app.role', true)")
            outer_user, outer_role = cursor.fetchone()
        rls_set(user_id=user_id, role=role)
        yield
        # On an exception the savepoint's rollback restores the outer context by itself.
        rls_set(user_id=outer_user, role=outer_role or ROLE_NONE)


@contextmanager
def replica_context(*, user_id, role: str):
    """The request's context on the read replica's connection (studyin/routers.py), set before
    its first statement and cleared after the request; no statement is sent when the request
    reads nothing there. The replica's reads are not in the request's transaction (a replica
    has its own), so the context is the session's for the request's length."""
    if not replica_configured():
        yield
        return
    replica, used = connections[REPLICA], []

    def with_context(execute, sql, params, many, context):
        if not used:
            used.append(True)
            with replica.cursor() as cursor:  # (a cursor of its own: not through this wrapper)
                cursor.cursor.execute(RLS_SESSION_SQL, [str(user_id or ""), role])
        return execute(sql, params, many, context)

    try:
        with replica.execute_wrapper(with_context):
            yield
    finally:
        if used:
            with replica.cursor() as cursor:
                cursor.execute(RLS_SESSION_SQL, ["", ROLE_NONE])


class RowLevelSecurityMiddleware:
    """One transaction per request, opened with the request's row-level security context.

    Like ATOMIC_REQUESTS, but it also covers middleware, and the context is set as the
    transaction's first statement. It also answers for outages (studyin/outage.py): with the
    database or Redis unreachable, the page is "briefly unavailable" (503), not a traceback. Staff get the "staff" role only inside the admin; on the
    student pages they see their own rows like everyone else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTHZ_PATH:
            return self.get_response(request)  # it reports outages itself, outside any transaction
        try:
            user = request.user  # the session and the user are read here, the first time
            role = ROLE_NONE
            if user.is_authenticated and user.is_staff and request.path.startswith(reverse("admin:index")):
                role = ROLE_STAFF
            user_id = user.pk if user.is_authenticated else None
            with transaction.atomic(), replica_context(user_id=user_id, role=role):
                rls_set(user_id=user_id, role=role)
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
        except OUTAGE_ERRORS as exc:
            if not is_outage(exc):
                raise
            return outage_response(exc)  # PostgreSQL or Redis unreachable (studyin/outage.py)
        return response

    def process_exception(self, request, exception):
        transaction.set_rollback(True)
        if is_outage(exception):
            return outage_response(exception)
        return None
