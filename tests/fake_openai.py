"""A small OpenAI-compatible server on loopback that speaks the real wire format of
POST /v1/embeddings and POST /v1/chat/completions, for testing the optional AI backends.

    with FakeOpenAI() as server:
        server.chat_replies.append('{"questions": [...]}')   # content of the next answers
        server.fail_next(503)                               # the next request gets this status
        server.chat_delay = 2.0                             # a slow model
        settings.LLM_API_BASE = server.base_url              # http://127.0.0.1:PORT/v1
        ...
        server.requests                                     # [(path, headers, json body), ...]
"""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self, *, dimensions: int = 8, api_key: str = "test-key"):
        self.dimensions = dimensions
        self.api_key = api_key
        self.chat_replies: list[str] = []
        self.chat_delay = 0.0  # seconds before each chat reply (a slow model, a timeout)
        self.requests: list[tuple[str, dict, dict]] = []
        self._failures: list[int] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A client that gave up (a timeout test) closes the socket under a reply: not an error here.
        self._server.handle_error = lambda request, client_address: None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_next(self, status: int, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def vector(self, text: str) -> list[float]:
        """The deterministic, unit-length vector this server returns for `text`."""
        digest = hashlib.sha256(text.encode()).digest()
        raw = [digest[i % len(digest)] - 127.5 for i in range(self.dimensions)]
        norm = sum(x * x for x in raw) ** 0.5
        return [x / norm for x in raw]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    return self._reply(
                        400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}}
                    )
                fake.requests.append((self.path, dict(self.headers), body))
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    return self._reply(
                        401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
                    )
                if fake._failures:
                    status = fake._failures.pop(0)
                    return self._reply(status, {"error": {"message": "simulated failure", "type": "server_error"}})
                if self.path == "/v1/embeddings":
                    return self._embeddings(body)
                if self.path == "/v1/chat/completions":
                    return self._chat(body)
                return self._reply(
                    404, {"error": {"message": f"Unknown path {self.path}", "type": "invalid_request_error"}}
                )

            def _embeddings(self, body: dict) -> None:
                inputs = body.get("input")
                inputs = [inputs] if isinstance(inputs, str) else inputs
                data = [{"object": "embedding", "index": i, "embedding": fake.vector(t)} for i, t in enumerate(inputs)]
                data.reverse()  # the API does not promise order; clients must sort by index
                tokens = sum(len(t.split()) for t in inputs)
                self._reply(200, {"object": "list", "data": data, "model": body.get("model"),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})  # fmt: skip

            def _chat(self, body: dict) -> None:
                if fake.chat_delay:
                    time.sleep(fake.chat_delay)
                content = fake.chat_replies.pop(0) if fake.chat_replies else "{}"
                self._reply(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })  # fmt: skip

        return Handler
