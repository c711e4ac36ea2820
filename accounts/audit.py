"""The audit log's one writer. Each security-relevant change appends a row, in the transaction
of the change (so a change that rolls back leaves no row, and no change goes unrecorded).

People are named by `person_key`: an HMAC of their id under AUDIT_KEY (SECRET_KEY unless set).
Staff find a person's rows by their key (the admin's search computes it from an e-mail or id);
once the person is erased, nothing in the log names them any more.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from accounts.models import AuditAction


def person_key(user_id) -> str:
    key = (settings.AUDIT_KEY or settings.SECRET_KEY).encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def audit_record(*, action: AuditAction | str, actor=None, subject=None, details: dict | None = None) -> None:
    """Append one event. `actor` did it (None: the system or the person themself via a link),
    `subject` is whom it concerns (users or their ids); `details` must name no one."""
    # Plain INSERT, not the ORM's INSERT ... RETURNING: returning a row needs the right to read it,
    # which only staff and workers have.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_log (action, actor_key, subject_key, details) VALUES (%s, %s, %s, %s)",
            [
                str(action),
                person_key(getattr(actor, "pk", actor)) if actor is not None else None,
                person_key(getattr(subject, "pk", subject)) if subject is not None else None,
                json.dumps(details or {}, cls=DjangoJSONEncoder),
            ],
        )
