"""Errors of the services text processing calls (an embedder, a question generator), as the
pipeline that runs them sorts them: permanent (the stage fails with the message) or transient
(the stage is tried again)."""


class ServiceError(Exception):
    """A permanent failure: bad configuration, or a request the service refuses. The message is
    for the student."""


class TransientServiceError(ServiceError):
    """A failure worth retrying: timeouts, connection errors, 429 and 5xx answers."""
