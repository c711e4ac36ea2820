"""Building blocks shared by every app's models (DESIGN.md "Database conventions")."""

import uuid

from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class UUIDModel(models.Model):
    """UUID primary key, generated in Python and by the database (raw SQL inserts work too)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)

    class Meta:
        abstract = True


def created_at_field() -> models.DateTimeField:
    return models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)


def owner_field(related_name: str, **kwargs) -> models.ForeignKey:
    """`user_id` of a user-owned row. No automatic index: each table declares the seed's index
    (or a unique constraint) that starts with user_id, and a second one would be redundant."""
    kwargs.setdefault("on_delete", models.CASCADE)
    return models.ForeignKey(settings.AUTH_USER_MODEL, related_name=related_name, db_index=False, **kwargs)


def choices_check(table: str, field: str, choices: type[models.TextChoices]) -> models.CheckConstraint:
    """The seed's PostgreSQL enum, as a CHECK constraint over the Django choices."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=f"{table}_{field}_valid")


def non_negative(*fields: str) -> models.Q:
    q = models.Q()
    for field in fields:
        q &= models.Q(**{f"{field}__gte": 0})
    return q
