"""Analytics reads on a read replica (seed 000's read-replica path).

With DATABASE_REPLICA_URL set, the `replica` database exists and the ORM reads of the analytics
app's models (the progress page's nightly rows, the statistics view) go to it; every write, and
every other read, stays on the primary. A streaming replica is read-only and gets its schema
from the primary, so migrations never run there (the test suite's stand-in replica is migrated,
REPLICA_MIGRATE). Row-level security holds on the replica too: the request's context is set on
its connection before its first statement (studyin/rls.py).
"""

from django.conf import settings

REPLICA = "replica"
READ_FROM_REPLICA = {"analytics"}


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and settings.ANALYTICS_READ_REPLICA


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in READ_FROM_REPLICA and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA or settings.REPLICA_MIGRATE
