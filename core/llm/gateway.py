"""The one way ratchet talks to a language model: `LLMGateway.complete(messages, purpose=...)`.

Behind it: the response cache (replay), budgets checked against the ledger before every call,
retries with backoff on transient errors, a fallback model, a ledger line for every call, and
the embedded local model started on demand when no provider is configured. Both the LLM
proposer and the agent's `tools.llm` use it; neither sees litellm, keys or servers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from core.config import BudgetConfig, Config
from core.llm.cache import CachedReply, ResponseCache, request_key
from core.llm.embedded import EmbeddedServer, model_settings
from core.llm.errors import LLMRequestFailed, LLMUnavailable, ReplayMiss
from core.llm.ledger import Ledger, LedgerEntry, check_budget
from core.llm.provider import Completion, MissingCredentials, Route, TransientFailure, call_provider
from core.records import Usage
from core.workspace import Workspace

__all__ = ["EMBEDDED", "LLMGateway", "LLMReply", "open_gateway"]

logger = logging.getLogger(__name__)

#: the model string (for `[llm] model` or `[llm] fallback`) that names the embedded local model
EMBEDDED = "embedded"
_MAX_BACKOFF = 30.0
#: the embedded model's timeout budget: slow enough for 2 tokens/s on a loaded 2-core machine
_LOCAL_BASE_SECONDS = 60.0
_LOCAL_SECONDS_PER_TOKEN = 0.5


@dataclass(frozen=True)
class LLMReply:
    """A completion. `usage` is what producing the text cost when it was generated; `cached` says
    it came from the response cache this time (and so cost nothing now)."""

    text: str
    model: str
    usage: Usage
    cached: bool
    seconds: float


def _normalise(messages: Sequence[Mapping[str, str]]) -> tuple[dict[str, str], ...]:
    out: list[dict[str, str]] = []
    for i, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise TypeError(f"message {i} needs string 'role' and 'content', got {dict(message)!r}")
        out.append({"role": role, "content": content})
    if not out:
        raise ValueError("complete() needs at least one message")
    return tuple(out)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LLMGateway:
    """Completions with cache, budgets, retries, fallback and a ledger. Thread-safe.

    `routes` are tried in order (the primary model, then the fallback). `server` serves the
    local routes (the embedded model); `litellm_params` are passed to every litellm call
    (tests use `{"mock_response": "..."}`).
    """

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        ledger: Ledger,
        cache: ResponseCache | None = None,
        replay: bool = False,
        budget: BudgetConfig | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        max_tokens: int = 1024,
        backoff: float = 1.0,
        server: EmbeddedServer | None = None,
        litellm_params: Mapping[str, Any] | None = None,
    ) -> None:
        if not routes:
            raise ValueError("LLMGateway needs at least one route")
        if replay and cache is None:
            raise ValueError("replay needs a response cache")
        if any(r.local for r in routes) and server is None:
            raise ValueError("a local route needs an EmbeddedServer")
        self.routes = tuple(routes)
        self.ledger = ledger
        self.cache = cache
        self.replay = replay
        self.budget = budget or BudgetConfig()
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self.backoff = backoff
        self.server = server
        self.litellm_params = dict(litellm_params or {})
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._spent = Usage()

    @property
    def model_name(self) -> str:
        """The primary model, as ledger and checkpoints name it."""
        return self.routes[0].name

    def spent(self) -> Usage:
        """What this gateway's calls cost so far (cache hits cost nothing)."""
        with self._lock:
            return self._spent

    def close(self) -> None:
        """Stop the embedded server if this gateway started it."""
        if self.server is not None:
            self.server.close()

    def __enter__(self) -> LLMGateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        purpose: str,
        temperature: float = 0.2,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> LLMReply:
        """The model's reply to `messages`; `purpose` labels the call in the ledger.

        Raises `BudgetExceeded`, `LLMUnavailable`, `LLMRequestFailed` or `ReplayMiss` (all
        `LLMError`). Identical requests within one session are distinct cache entries, so
        sampling the same prompt N times gives N replies, and a replay gives them back in order.
        """
        request = _normalise(messages)
        params: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens or self.max_tokens,
            "seed": seed,
        }
        with self._lock:
            fingerprint = request_key("", request, params)
            occurrence = self._seen[fingerprint]
            self._seen[fingerprint] += 1
        started = time.monotonic()
        if self.cache is not None:
            for route in self.routes if self.replay else self.routes[:1]:
                hit = self.cache.get(request_key(route.name, request, params, occurrence))
                if hit is not None:
                    seconds = round(time.monotonic() - started, 4)
                    self.ledger.append(
                        LedgerEntry(_now(), hit.model, purpose, cost_usd=0.0, seconds=seconds, cached=True)
                    )
                    return LLMReply(hit.text, hit.model, hit.usage, cached=True, seconds=seconds)
        if self.replay:
            raise ReplayMiss(
                f"replay: no recorded reply for this {purpose} request to {self.model_name} in "
                f"{self.cache.root if self.cache else 'the cache'}; "
                f"turn replay off ([llm] replay = false) to record it"
            )
        failures: list[LLMUnavailable | LLMRequestFailed] = []
        for route in self.routes:
            try:
                reply = self._call_route(route, request, params, purpose)
            except (LLMUnavailable, LLMRequestFailed) as exc:
                failures.append(exc)
                if route is not self.routes[-1]:
                    logger.warning(
                        "%s failed (%s); trying the fallback %s", route.name, exc, self.routes[-1].name
                    )
                continue
            if self.cache is not None:
                key = request_key(route.name, request, params, occurrence)
                request_record = {"model": route.name, "messages": list(request), "params": params}
                self.cache.put(key, CachedReply(reply.text, reply.model, reply.usage), request_record)
            return reply
        raise _combined(failures)

    def _call_route(
        self, route: Route, request: Sequence[Mapping[str, str]], params: Mapping[str, Any], purpose: str
    ) -> LLMReply:
        attempts = 1 + self.max_retries
        for attempt in range(1, attempts + 1):
            check_budget(self.ledger, self.budget)
            api_base = self.server.api_base() if route.local and self.server else route.api_base
            started = time.monotonic()
            try:
                done = call_provider(
                    route,
                    request,
                    params,
                    api_base=api_base,
                    timeout=self._timeout(route, params),
                    extra=self.litellm_params,
                )
            except TransientFailure as exc:
                self._record(route, purpose, time.monotonic() - started, error=exc.kind)
                # the local server keeps working on a timed-out request: asking again only queues behind it
                give_up = route.local and exc.kind == "Timeout"
                if attempt < attempts and not give_up:
                    delay = min(self.backoff * 2 ** (attempt - 1), _MAX_BACKOFF)
                    logger.info(
                        "%s: %s; retry %d/%d in %.1fs", route.name, exc, attempt, self.max_retries, delay
                    )
                    time.sleep(delay)
                    continue
                where = f" at {api_base}" if api_base else ""
                raise LLMUnavailable(
                    f"cannot get a reply from {route.name}{where} after {attempt} attempt(s) ({exc}); "
                    f"check that the provider is reachable, or set [llm] fallback"
                ) from None
            except MissingCredentials:
                raise  # nothing was sent: not a call
            except (LLMUnavailable, LLMRequestFailed) as exc:
                self._record(route, purpose, time.monotonic() - started, error=type(exc).__name__)
                raise
            seconds = time.monotonic() - started
            self._record(route, purpose, seconds, done=done)
            usage = Usage(
                calls=1, tokens_in=done.tokens_in, tokens_out=done.tokens_out, cost_usd=done.cost_usd or 0.0
            )
            return LLMReply(done.text, route.name, usage, cached=False, seconds=seconds)
        raise AssertionError("unreachable: the loop returns or raises")

    def _timeout(self, route: Route, params: Mapping[str, Any]) -> float:
        """The local model on a busy CPU needs time per token; a remote provider gets `[llm] timeout`."""
        if not route.local:
            return self.timeout
        return max(self.timeout, _LOCAL_BASE_SECONDS + _LOCAL_SECONDS_PER_TOKEN * int(params["max_tokens"]))

    def _record(
        self, route: Route, purpose: str, seconds: float, *, done: Completion | None = None, error: str = ""
    ) -> None:
        entry = LedgerEntry(
            time=_now(),
            model=route.name,
            purpose=purpose,
            tokens_in=done.tokens_in if done else 0,
            tokens_out=done.tokens_out if done else 0,
            cost_usd=done.cost_usd if done else 0.0,
            seconds=round(seconds, 4),
            error=error,
        )
        self.ledger.append(entry)
        with self._lock:
            self._spent = self._spent + Usage(
                calls=1,
                tokens_in=entry.tokens_in,
                tokens_out=entry.tokens_out,
                cost_usd=entry.cost_usd or 0.0,
            )


def _combined(failures: Sequence[LLMUnavailable | LLMRequestFailed]) -> LLMUnavailable | LLMRequestFailed:
    first = failures[0]
    if len(failures) == 1:
        return first
    rest = "; ".join(f"fallback: {f}" for f in failures[1:])
    return type(first)(f"{first} — and the {rest}")


def _routes(config: Config) -> list[Route]:
    alias = config.model.alias
    embedded = Route(name=f"{EMBEDDED}/{alias}", model=f"openai/{alias}", local=True)
    llm = config.llm
    routes = [
        embedded
        if llm.model in ("", EMBEDDED)
        else Route(name=llm.model, model=llm.model, api_base=llm.api_base, key_ref=llm.api_key)
    ]
    if llm.fallback:
        routes.append(embedded if llm.fallback == EMBEDDED else Route(name=llm.fallback, model=llm.fallback))
    return routes


def open_gateway(
    workspace: Workspace, config: Config, *, litellm_params: Mapping[str, Any] | None = None
) -> LLMGateway:
    """The gateway `config` describes: `[llm] model` (empty: the embedded model), its fallback
    (`"embedded"` names the embedded model), cache / replay, `[budget]`. Nothing starts until the
    first call that needs a model; `close()` stops an embedded server this gateway started."""
    routes = _routes(config)
    server = EmbeddedServer(workspace, model_settings(config.model)) if any(r.local for r in routes) else None
    llm = config.llm
    cache = ResponseCache(workspace.cache_dir / "llm") if llm.cache or llm.replay else None
    return LLMGateway(
        routes,
        ledger=Ledger(workspace.ledger_path),
        cache=cache,
        replay=llm.replay,
        budget=config.budget,
        timeout=llm.timeout,
        max_retries=llm.max_retries,
        max_tokens=llm.max_tokens,
        server=server,
        litellm_params=litellm_params,
    )
