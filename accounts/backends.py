"""Authentication backend: Django's ModelBackend, with a cheaper per-request user lookup."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection

from accounts.models import User

_FIELDS = User._meta.concrete_fields
_ATTNAMES = [f.attname for f in _FIELDS]
# Every column, in field order, so a row builds the model directly (Model.from_db).
USER_SQL = f"SELECT {', '.join(f.column for f in _FIELDS)} FROM users WHERE id = %s"


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        """The session's user. This runs on every request, and the ORM's building of
        `User.objects.get(pk=...)` takes longer than the query itself, so it is one plain
        statement, from which the model is built as the ORM would (bench/answer_path.py)."""
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        with connection.cursor() as cursor:
            cursor.execute(USER_SQL, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(DEFAULT_DB_ALIAS, _ATTNAMES, row)
        return user if self.user_can_authenticate(user) else None
