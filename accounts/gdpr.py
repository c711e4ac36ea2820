"""A student's data as a whole: exported (portability) and erased (the right to erasure).

Both find the student's rows through Django's model registry, not by importing the apps that
own them (accounts sits below them all): a row is the student's when a foreign key to the user
leads to it, directly (materials, attempts, conversations...) or through its parent (pages and
chunks of a material, messages of a conversation, a block's items). Files are the one thing the
database does not hold, and some rows need their app's own rule before they go: an app registers
an erasure hook (`erasure_register`; materials does it in its AppConfig.ready) that runs in the
erasure's transaction, applies that rule and returns the files to delete after the commit.

Erasure deletes the user and everything that cascades from them in one transaction, as `system`;
analytics rows survive anonymised (their `user_id` set NULL, which empties their personal JSON:
DESIGN.md item 3). The report counts the rows of every table touched.
"""

import datetime
import decimal
import uuid
from collections.abc import Callable

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from accounts.audit import audit_record
from accounts.models import AuditAction, User

ErasureHook = Callable[[User], list[str]]  # runs in the erasure; returns the paths of files to delete
_ERASURE_HOOKS: list[ErasureHook] = []
# Never exported: secrets, and what only the machine reads.
SKIPPED_FIELDS = {"password", "hashed_password", "token_hash", "embedding"}
SKIPPED_MODELS = {"accounts.AuditEvent", "analytics.UserStats"}


def erasure_register(hook: ErasureHook) -> None:
    if hook not in _ERASURE_HOOKS:
        _ERASURE_HOOKS.append(hook)


def _owned_models() -> list[tuple[type[models.Model], str]]:
    """(model, lookup to the user) of every concrete model a user's rows are in, parents first."""
    found: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        label = model._meta.label
        if label in SKIPPED_MODELS or model._meta.proxy or not model._meta.managed:  # *Row models: a second view
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User and field.name == "user":
                found.append((model, "user"))
                break
    owners = {m for m, _ in found}
    for model in apps.get_models():
        if model in owners or model._meta.label in SKIPPED_MODELS or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            parent = field.related_model if field.is_relation else None
            if parent in owners and field.remote_field.on_delete is models.CASCADE:
                found.append((model, f"{field.name}__user"))
                break
    return found


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def user_export(*, user: User) -> dict:
    """Everything the student owns, as JSON-ready data: their profile and one list per table.
    Runs in the caller's context: as the student (their request, or `export_user`), row-level
    security guarantees no one else's row is in it."""
    profile_fields = [f.attname for f in User._meta.concrete_fields if f.attname not in SKIPPED_FIELDS]
    data = {"profile": {f: _plain(getattr(user, f)) for f in profile_fields}, "tables": {}}
    for model, lookup in _owned_models():
        if model is User:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in SKIPPED_FIELDS]
        rows = model._base_manager.filter(**{lookup: user}).values(*fields)
        data["tables"][model._meta.db_table] = [_plain(row) for row in rows]
    audit_record(action=AuditAction.ACCOUNT_EXPORTED, subject=user)
    return data


def user_delete(*, user: User, actor: User | None = None, dry_run: bool = False) -> dict:
    """Erase `user`: every row they own, deleted; their analytics rows anonymised; their files
    deleted after the commit. Returns {"deleted": {table: rows}, "anonymised": {table: rows},
    "files": n}. With `dry_run` the transaction rolls back and no file is touched. The caller
    runs it as `system` (rows of others refer to the student's: their flags on questions of the
    student's material, say)."""
    with transaction.atomic():
        files = [path for hook in _ERASURE_HOOKS for path in hook(user) if path]
        anonymised = {}
        for model in (m for m in apps.get_models() if m._meta.managed):  # not the *Row views
            for field in model._meta.concrete_fields:
                if (
                    field.is_relation
                    and field.related_model is User
                    and field.remote_field.on_delete is models.SET_NULL
                ):
                    count = model._base_manager.filter(**{field.name: user}).count()
                    if count:
                        anonymised[model._meta.db_table] = anonymised.get(model._meta.db_table, 0) + count
        collector = Collector(using=router.db_for_write(User))
        collector.collect([user])
        _, by_label = collector.delete()
        deleted = {apps.get_model(label)._meta.db_table: n for label, n in sorted(by_label.items()) if n}
        audit_record(action=AuditAction.ACCOUNT_DELETED, actor=actor, subject=user.pk,
                     details={"tables": len(deleted), "rows": sum(deleted.values())})  # fmt: skip
        if dry_run:
            transaction.set_rollback(True)
        else:
            transaction.on_commit(lambda: [default_storage.delete(path) for path in files])
    return {"deleted": deleted, "anonymised": anonymised, "files": len(files), "dry_run": dry_run}
