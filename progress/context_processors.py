from django.db import DatabaseError, connection
from django.utils.functional import SimpleLazyObject

from progress.selectors import due_count


def reviews(request) -> dict:
    """The due reviews in the navigation bar (a minute in Redis), read only if a page shows
    them. An error page (the request's transaction rolled back, or the database down) shows none."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        if connection.needs_rollback:
            return 0
        try:
            return due_count(user=user)
        except DatabaseError:
            return 0

    return {"due_reviews": SimpleLazyObject(count)}
