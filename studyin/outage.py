"""What StudyIn answers while PostgreSQL or Redis is down: a friendly 503, never a traceback.

An outage is an error that says a server cannot be reached, not that a request was wrong: the
database's InterfaceError and those OperationalErrors that come with no SQLSTATE or a
connection one (refused or dropped connections, the pool's timeout, a server shutting down),
and Redis' connection and timeout errors (Celery's broker included). The request's
transaction rolled back, so nothing the student did half-way was kept; what they had done before
is in the database. Pages recover by themselves: the next request after the server is back gets
a fresh connection (the pool checks each one before handing it out).

Who turns an outage into the page:
- `RowLevelSecurityMiddleware` (studyin/rls.py), around the session and user lookup, the request
  transaction and the view: almost every case;
- `server_error` (studyin/views.py, handler500) for anything else that reaches Django's handler;
- `/healthz` answers for itself, with JSON naming what is down.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, BrokerError)
RETRY_AFTER_SECONDS = 10
# SQLSTATEs that say the server cannot be reached or is going away: class 08 (connection
# exception) and 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now). A deadlock, a
# serialization failure or a statement timeout is an OperationalError too, but a bug or a load
# problem to see in the log as the 500 it is, not an outage.
_GONE = ("57P01", "57P02", "57P03")


def is_outage(exc: BaseException | None) -> bool:
    if isinstance(exc, OperationalError):
        cause = exc.__cause__
        if type(cause).__name__ == "PoolTimeout":
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        # No SQLSTATE at all: the connection itself failed (refused, dropped, timed out).
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in _GONE
    return isinstance(exc, OUTAGE_ERRORS)


def outage_response(exc: BaseException) -> HttpResponse:
    """The "briefly unavailable" page (HTTP 503, Retry-After). Rendered without the request, so
    that no context processor reaches for the session or the user, which may be what is down."""
    logger.warning("answering 503, a server is unreachable: %s: %s", exc.__class__.__name__, exc)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
