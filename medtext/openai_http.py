"""POST to an OpenAI-compatible endpoint (embeddings, chat), with one reading of failures:
timeouts, connection errors, 408, 409, 429 and 5xx may clear up (the caller's transient error);
anything else will not (its permanent error). Standard library only."""

import json
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException

TRANSIENT_STATUSES = {408, 409, 429}  # and every 5xx


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the Authorization header to wherever it points.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def endpoint_url(api_base: str, path: str, *, setting: str, error: type[Exception]) -> str:
    """`{api_base}/{path}`, refusing a base that is not an http(s) URL (a typo in `setting`)."""
    if urllib.parse.urlsplit(api_base).scheme not in ("http", "https"):
        raise error(f"{setting} must be an http(s) URL such as https://api.openai.com/v1, not {api_base!r}")
    return api_base.rstrip("/") + "/" + path


def post_json(
    url: str, body: dict, *, api_key: str, timeout: float, errors: tuple[type[Exception], type[Exception]]
) -> bytes:
    """POST `body` as JSON; return the response body. `errors` is (permanent, transient)."""
    permanent, transient = errors
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {api_key}",
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        message = f"{url} answered {exc.code}: {_error_message(exc)}"
        if exc.code in TRANSIENT_STATUSES or exc.code >= 500:
            raise transient(message) from exc
        raise permanent(message) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
        # Refused, reset, DNS failure, a timeout, a connection closed half-way through.
        reason = getattr(exc, "reason", None) or exc
        raise transient(f"cannot reach {url}: {reason}") from exc


def _error_message(exc: urllib.error.HTTPError) -> str:
    """The server's own explanation (OpenAI's {"error": {"message": ...}}), briefly."""
    try:
        body = exc.read(2000).decode("utf-8", "replace")
    except (OSError, HTTPException):
        return str(exc.reason)
    try:
        return str(json.loads(body)["error"]["message"])[:300]
    except (ValueError, KeyError, TypeError):
        return body[:300] or str(exc.reason)
