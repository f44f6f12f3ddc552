"""A real loopback HTTP server speaking the OpenAI chat-completions API, with scripted replies.

The test seam of the gateway (like httpx's MockTransport): tests point `[llm] api_base` at it and
exercise the real litellm path. It can fail the first N requests (to test retries and fallback),
demand a key (to test credentials), and keeps every request it saw.

    with FakeChatServer(replies=["def f(): ..."], fail_first=2) as server:
        config = ...(model="openai/fake", api_base=server.api_base)
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["FakeChatServer", "SeenRequest"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenRequest:
    path: str
    body: dict[str, Any]
    authorization: str


class FakeChatServer:
    """Serves `replies` in turn (cycling) on 127.0.0.1; answers `fail_status` to the first
    `fail_first` chat requests; answers 401 when `require_key` is set and not sent."""

    def __init__(
        self,
        replies: Sequence[str] = ("ok",),
        *,
        fail_first: int = 0,
        fail_status: int = 503,
        require_key: str = "",
    ) -> None:
        if not replies:
            raise ValueError("FakeChatServer needs at least one reply")
        self.replies = tuple(replies)
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.require_key = require_key
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeChatServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-chat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _respond(self, path: str, body: dict[str, Any], authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(SeenRequest(path, body, authorization))
            index = sum(1 for r in self.requests if r.path.endswith("/chat/completions")) - 1
        if self.require_key and authorization != f"Bearer {self.require_key}":
            return 401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if index < self.fail_first:
            return self.fail_status, _error("temporarily unavailable", "server_error", self.fail_status)
        text = self.replies[(index - self.fail_first) % len(self.replies)]
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return 200, {
            "id": f"chatcmpl-fake-{index}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": str(body.get("model", "fake")),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": usage,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/health", "/v1/health"):
                    self._send(200, {"status": "ok"})
                elif self.path.rstrip("/") in ("/models", "/v1/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._send(404, _error("not found", "not_found_error", 404))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, _error("invalid json", "invalid_request_error", 400))
                    return
                if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
                    self._send(404, _error("not found", "not_found_error", 404))
                    return
                status, payload = fake._respond(self.path, body, self.headers.get("Authorization", ""))
                self._send(status, payload)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("fake chat server: " + format, *args)

        return Handler


def _error(message: str, kind: str, code: int | str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
