"""Django's PostgreSQL backend, knowing PostgreSQL's limit of parameters per statement.

With parameters bound on the server (settings, "Database"), a statement may carry at most
65,535 of them. Django 5.2 does not split a `bulk_create` for PostgreSQL, so inserting the
chunks of a long textbook (7,000 chunks of 10 columns) would fail; here it is cut into
statements under the limit, as Django does for SQLite and Oracle.
"""

from django.db.backends.postgresql import base, features, operations


class DatabaseFeatures(features.DatabaseFeatures):
    max_query_params = 2**16 - 1


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        return self.connection.features.max_query_params // len(fields) if fields else len(objs)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
